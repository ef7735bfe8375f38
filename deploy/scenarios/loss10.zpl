#   10% packet loss in the kernel (nftables, every host's input) from round 50 for 150 rounds
#   Run: swarmshape experiment FLEET deploy/scenarios/loss10.zpl --out DIR
#   (keys: cli/ss_scenario.h, README.md "Fault-injection experiments")
scenario
    name = loss10
    description = "loss 10% (nftables numgen) on every host from round 50 for 150 rounds"
    hosts = 3
    bound = 1.5
    event
        at_round = 50
        do = loss
        percent = 10
        for_rounds = 150
