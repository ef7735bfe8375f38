#   host 2 of 3 cut off (nftables drop-all) at round 100 for 3 s, then healed
#   Run: swarmshape experiment FLEET deploy/scenarios/partition.zpl --out DIR
#   (keys: cli/ss_scenario.h, docs/notes/experiment.md)
scenario
    name = partition
    description = "host 2 of 3 cut off at round 100 for 3 s, then healed"
    hosts = 3
    layout = block
    bound = 1.5
    event
        at_round = 100
        do = partition
        hosts = "2"
        for_seconds = 3
