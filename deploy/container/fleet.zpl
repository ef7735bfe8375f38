#   fleet.zpl: a 4-agent fleet for compose.yaml. Each agent runs in its own
#   container, named by its compose service (agent0..agent3) on the compose
#   network; the coordinator in the service `coordinator`.
#
#   An agent whose host is a name (not an IP literal) binds its port on all
#   interfaces of its container (tcp://*:PORT); its neighbours connect to
#   tcp://agentI:PORT. Every key not named here has its default (see
#   deploy/fleets/demo.zpl).
fleet
    name = compose
    rounds = 2000               #   0: until stopped
    graph
        kind = ring
        degree = 2
    agents
        count = 4
        base_port = 7100        #   agent i listens on 7100 + i
        agent
            id = 0
            host = agent0
        agent
            id = 1
            host = agent1
        agent
            id = 2
            host = agent2
        agent
            id = 3
            host = agent3
    coordinator
        endpoint = tcp://coordinator:7099
        report_every = 10
    faults
        #   Containers start seconds apart (podman-compose starts them one
        #   after the other) and agentd does not yet wait for its
        #   neighbours before round 0: a round timeout and a lost delay
        #   longer than that stagger keep the start undisturbed, so the run
        #   equals `swarmshape sim` of this file. A neighbour that dies
        #   then holds its neighbours for up to 30 s before they go on.
        round_timeout_ms = 30000
        lost_after_ms = 60000
    security
        curve = 1
        keys = keys             #   bundles/HOST/keys, mounted at /etc/swarmshape/keys
