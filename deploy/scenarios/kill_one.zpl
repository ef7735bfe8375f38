#   kill -9 of one agent at round 100; not restarted (its neighbours lose it)
#   Run: swarmshape experiment FLEET deploy/scenarios/kill_one.zpl --out DIR
#   (keys: cli/ss_scenario.h, README.md "Fault-injection experiments")
scenario
    name = kill_one
    description = "kill -9 of agent 5 at round 100, not restarted"
    restart = no
    bound = 1.5
    event
        at_round = 100
        do = kill
        agents = "5"
