#   reordering: 25% of the packets overtake the others, delayed 10 ms, from round 50 for 150 rounds
#   Run: swarmshape experiment FLEET deploy/scenarios/reorder.zpl --out DIR
#   (keys: cli/ss_scenario.h, README.md "Fault-injection experiments")
scenario
    name = reorder
    description = "reordering 25% (others delayed 10 ms) on every host from round 50 for 150 rounds"
    hosts = 3
    bound = 1.5
    event
        at_round = 50
        do = reorder
        percent = 25
        delay_ms = 10
        for_rounds = 150
