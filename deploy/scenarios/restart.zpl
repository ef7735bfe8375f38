#   kill -9 of one agent at round 100, started again at round 150 from its checkpoint
#   Run: swarmshape experiment FLEET deploy/scenarios/restart.zpl --out DIR
#   (keys: cli/ss_scenario.h, README.md "Fault-injection experiments")
scenario
    name = restart
    description = "kill -9 of agent 5 at round 100, restarted from its checkpoint at round 150"
    restart = no
    bound = 1.5
    event
        at_round = 100
        do = kill
        agents = "5"
    event
        at_round = 150
        do = restart
        agents = "5"
