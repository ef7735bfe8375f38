#   kill -9 of the coordinator at round 100; the supervisor restarts it, it resumes the trace
#   Run: swarmshape experiment FLEET deploy/scenarios/coordinator_restart.zpl --out DIR
#   (keys: cli/ss_scenario.h, README.md "Fault-injection experiments")
scenario
    name = coordinator_restart
    description = "kill -9 of the coordinator at round 100, restarted after 0.2 s (on-failure)"
    coordinator_restart = on-failure
    restart_sec = 0.2
    bound = 1.5
    event
        at_round = 100
        do = kill
        coordinator = 1
