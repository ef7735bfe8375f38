#   SIGSTOP of one agent at round 100 for 50 rounds, then SIGCONT (a frozen process, not a dead one)
#   Run: swarmshape experiment FLEET deploy/scenarios/frozen.zpl --out DIR
#   (keys: cli/ss_scenario.h, README.md "Fault-injection experiments")
scenario
    name = frozen
    description = "SIGSTOP of agent 5 at round 100 for 50 rounds, then SIGCONT"
    bound = 1.5
    event
        at_round = 100
        do = stop
        agents = "5"
        for_rounds = 50
