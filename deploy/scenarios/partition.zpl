#   host 2 of 3 cut off (nftables drop-all) at round 100 for 3 s, then healed
#   Run: swarmshape experiment FLEET deploy/scenarios/partition.zpl --out DIR
#   (keys: cli/ss_scenario.h, README.md "Fault-injection experiments")
scenario
    name = partition
    description = "host 2 of 3 cut off at round 100 for 3 s, then healed; stopped 1500 rounds after the heal"
    hosts = 3
    layout = block
    bound = 1.5
    stop_after_rounds = 1500    #   a cut-off side runs at its own pace: run until
                                #   stopped, 1500 rounds after the heal (its TCP
                                #   connections take a while to come back)
    event
        at_round = 100
        do = partition
        hosts = "2"
        for_seconds = 3
