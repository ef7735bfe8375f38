#   5% duplication on every host's egress from round 50 for 150 rounds
#   Run: swarmshape experiment FLEET deploy/scenarios/duplicate.zpl --out DIR
#   (keys: cli/ss_scenario.h, README.md "Fault-injection experiments")
scenario
    name = duplicate
    description = "duplication 5% on every host from round 50 for 150 rounds"
    hosts = 3
    bound = 1.5
    event
        at_round = 50
        do = duplicate
        percent = 5
        for_rounds = 150
