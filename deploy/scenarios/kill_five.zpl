#   kill -9 of five agents at once at round 100; not restarted
#   Run: swarmshape experiment FLEET deploy/scenarios/kill_five.zpl --out DIR
#   (keys: cli/ss_scenario.h, README.md "Fault-injection experiments")
scenario
    name = kill_five
    description = "kill -9 of agents 1 3 5 7 9 at round 100, not restarted"
    restart = no
    bound = 1.5
    event
        at_round = 100
        do = kill
        agents = "1 3 5 7 9"
