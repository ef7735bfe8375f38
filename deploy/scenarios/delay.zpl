#   delay 20 ms +- 10 ms on every host's egress (tc netem, or the userspace wire) from round 50 for 150 rounds
#   Run: swarmshape experiment FLEET deploy/scenarios/delay.zpl --out DIR
#   (keys: cli/ss_scenario.h, README.md "Fault-injection experiments")
scenario
    name = delay
    description = "delay 20 ms +- 10 ms on every host from round 50 for 150 rounds"
    hosts = 3
    bound = 1.5
    event
        at_round = 50
        do = delay
        delay_ms = 20
        jitter_ms = 10
        for_rounds = 150
