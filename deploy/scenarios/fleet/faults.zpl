#   faults.zpl: the fleet the fault table is measured on (README.md,
#   "Faults"): a ring of 12 agents, 400 rounds, faults tuned short so
#   that a lost agent is noticed within a second. Run as root (the network
#   scenarios make network namespaces):
#
#       swarmshape experiment deploy/scenarios/fleet/faults.zpl \
#           deploy/scenarios/*.zpl --out /tmp/faults
#
#   tests/integration/experiment_scenarios.sh runs exactly this, on free
#   loopback ports and with its own key directory.
fleet
    name = faults
    rounds = 400
    seed = 11
    model
        m = 4
        nq = 16
    graph
        kind = ring
        degree = 4
    agents
        count = 12
        base_port = 7300
    coordinator
        endpoint = tcp://127.0.0.1:7299
        report_every = 10
    security
        keys = keys
    faults
        heartbeat_ms = 100
        round_timeout_ms = 300
        lost_after_ms = 1000
        checkpoint_every = 10
