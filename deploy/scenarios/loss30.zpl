#   30% packet loss in the kernel (nftables, every host's input) from round 50 for 60 rounds
#   Run: swarmshape experiment FLEET deploy/scenarios/loss30.zpl --out DIR
#   (keys: cli/ss_scenario.h, README.md "Fault-injection experiments")
scenario
    name = loss30
    description = "loss 30% (nftables numgen) on every host from round 50 for 60 rounds"
    hosts = 3
    bound = 1.5
    event
        at_round = 50
        do = loss
        percent = 30
        for_rounds = 60
