#   demo.zpl: the example fleet of the README, documenting every key.
#
#   A fleet file is ZPL (read by CZMQ's zconfig): one item per line, 4 spaces
#   of indentation per level, "name = value", '#' starts a comment. Every key
#   has a default (in brackets below) and may be left out; a file can be as
#   short as "fleet" and "    name = x". Unknown keys are errors. Any key can
#   be overridden from the command line: --set agents/count=200 (the PATH is
#   relative to `fleet`). Relative paths resolve against this file's folder.
#   Every key here is one row of the key table in fleet/ss_fleet.c
#   (tests/unit/test_fleet.c checks that this file documents each with its
#   default); `swarmshape plan` writes the same keys into its bundles.
#
fleet
    name = demo                 #   [fleet] name of the fleet, 1-63 of [A-Za-z0-9._-]
    rounds = 1000               #   [1000] rounds to run; 0: until stopped
    seed = 1                    #   [1] seed of initial positions (0..2^64-1)

    #   The model of shared/docs/model.md; every value here is its default
    model
        dim = 2                 #   [2] dimension d of the box: 1, 2 or 3
        lo = 0                  #   [0] box D = [lo, hi]^d, lower bound
        hi = 1                  #   [1] upper bound (> lo)
        m = 5                   #   [5] RBF centres per axis, K = m^d <= 1024
        ell = 0.15              #   [0.15] RBF width (> 0)
        h = 0.05                #   [0.05] sensing kernel width (>= 0)
        nq = 32                 #   [32] quadrature nodes per axis (>= 2), nq^d <= 262144
        rho = 0.01              #   [0.01] lower-level regulariser (> 0)
        lambda = 0              #   [0] anchoring weight to x(0) (>= 0)
        alpha = 0.002           #   [0.002] slow (motion) step (> 0)
        gamma = 1.0             #   [1.0] fast (estimation) step (> 0)
        vmax = 0.02             #   [0.02] speed limit per round (> 0)

    #   The target: an isotropic Gaussian mixture on D, one `component` per
    #   term (1 to 16), or a picture. Without any component or image the
    #   default is the two below (scaled to [lo, hi]; in 1-D the first
    #   coordinate only, in 3-D 0.5 appended). A new target can be sent to a
    #   running fleet (swarmshape target FLEET FILE; FILE may be a picture).
    target
        # image = ../targets/s.pgm  #   [none] a picture, PGM or PNG (d = 2):
                                #   dark = dense, resampled onto the nq x nq grid
                                #   (area average, row 0 at y = hi); it wins
                                #   over components
        component
            weight = 0.5        #   [required] weight (> 0; weights are normalised)
            mean = "0.25 0.70"  #   [required] mean: exactly d numbers inside [lo, hi]
            std = 0.10          #   [required] standard deviation (> 0)
        component
            weight = 0.5
            mean = "0.75 0.30"
            std = 0.10

    #   Who talks to whom (undirected; it must be connected)
    graph
        kind = ring             #   [ring] ring | grid | geometric | complete | edges
        degree = 4              #   [4] ring: neighbours in all, even, >= 2, < count
        # radius = 0.3          #   [0.3] geometric: link agents closer than radius (> 0)
                                #   in their initial positions
        # edges = "0-1 1-2 2-0" #   [none] edges: the list of links "i-j" (required
                                #   for kind edges; ids < count)

    agents
        count = 50              #   [50] number of agents N (1..100000)
        init = uniform          #   [uniform] initial positions: uniform | box | file
                                #   uniform: on D, drawn from seed, agent 0 first
        # box_lo = 0            #   [lo] box: uniform on [box_lo, box_hi]^d
        # box_hi = 0.3          #   [lo + 0.3 (hi - lo)]
        # file = initial.csv    #   [none] file: a CSV "id,x1,x2", one row per agent,
                                #   as a run's initial.csv (required for init = file)
        host = 127.0.0.1        #   [127.0.0.1] host every agent runs on
        base_port = 7100        #   [7100] agent i listens on base_port + i (checked
                                #   by launch, plan and the daemons, not by sim)
        # agent                 #   per-agent overrides, one `agent` per agent:
        #     id = 3            #   [required] which agent (0..count-1)
        #     host = 10.0.0.7   #   [agents/host] its host
        #     port = 7203       #   [base_port + id] its port
        #     x = "0.1 0.2"     #   [from init] its initial position (d numbers)

    coordinator
        endpoint = tcp://127.0.0.1:7099 #   [tcp://127.0.0.1:7099] where it binds
        report_every = 10       #   [10] rounds between agent reports (>= 1)
        # http = 127.0.0.1:7098 #   [] host:port of the coordinator's live page and
                                #   /metrics; empty: off

    security
        curve = 1               #   [1] CURVE encryption; 0 only with an
                                #   explicit insecure flag
        keys = keys             #   [keys] certificate directory
        # state = state         #   [state] agents' checkpoint directory

    #   Faults (docs/fleet-design.md, "Faults"): membership, waits, start,
    #   checkpoints. Not part of the fleet id: may differ from run to run.
    faults
        heartbeat_ms = 250      #   [250] heartbeat to every neighbour (>= 1)
        round_timeout_ms = 10000    #   [10000] longest grace for an estimate known to
                                #   be late (its sender is past the round) and not
                                #   repaired by a resend; a neighbour that has not
                                #   sent its estimate yet is waited for while it
                                #   lives (slow is not lost)
        grace_factor = 10       #   [10] that grace is this many typical rounds
                                #   (the median of the last 31 clean ones; repairs
                                #   are asked every typical round), and at least
                                #   4 of the slowest of them ...
        grace_min_ms = 100      #   [100] ... and at least this (round_timeout_ms
                                #   wins if smaller)
        lossy_wait = 0          #   [0] on a link seen losing packets (two
                                #   retransmissions, not shown spurious, within 10
                                #   rounds), a round waits at most this many
                                #   typical rounds for the neighbour's estimate,
                                #   unless it is two rounds behind; 3 doubled the
                                #   pace at 30% loss, at a cost in J (README);
                                #   0: wait as on any link
        forecast_rounds = 8     #   [8] a round without a neighbour's estimate adds
                                #   the mass its link carries per round (from its
                                #   two newest sums), for up to this many rounds
                                #   past the newest sum held; the next sum puts
                                #   right what it got wrong; 0: nothing until a
                                #   sum comes
        lost_after_ms = 5000    #   [5000] silence after which a neighbour is
                                #   lost (> heartbeat_ms)
        evasive_ms = 0          #   [0] silence after which a neighbour is pinged
                                #   (< lost_after_ms); 0: lost_after_ms / 3
        start_timeout_ms = 120000   #   [120000] start barrier: longest wait for a
                                #   neighbour never heard; then the run starts
                                #   without it
        checkpoint_every = 50   #   [50] rounds between checkpoints (>= 1)
        settle_rounds = 20      #   [20] after an epoch change (a fault), rounds
                                #   the agent estimates without moving, so it
                                #   never moves on a re-initialised tracker (>= 0)

    #   Links between agents. Not part of the fleet id.
    links
        connections = 8         #   [8] connections open per tcp:// link: two
                                #   used in turn, all of them (and two copies of
                                #   each estimate, links/copies) for 100 rounds
                                #   after one was seen retransmitting when the
                                #   link has no datagrams (datagrams below),
                                #   stalled ones passed over: a lost segment
                                #   never holds the next round's estimate
                                #   (ipc:// links have one) (1..8)
        transport = auto        #   [auto] auto: agents of one host over ipc://,
                                #   others over tcp:// | tcp: tcp:// everywhere
                                #   (CURVE on both)
        rto_min_ms = 5          #   [5] floor of TCP's retransmission timeout
                                #   on the fleet's connections (Linux >= 6.15,
                                #   per socket, at least 5, in the kernel's
                                #   ticks; the kernel's own is 200 ms: a lost
                                #   segment would stall its connection that
                                #   long); 0: the kernel's (0, 5..1000)
        delack_max_ms = 5       #   [5] longest delay of a TCP acknowledgement
                                #   on the fleet's connections (Linux >= 6.15,
                                #   at least 5), so that the sender's timeout
                                #   stays short; 0: the kernel's (0, 5..1000)
        rto_max_ms = 1000       #   [1000] ceiling of TCP's retransmission
                                #   timeout on the fleet's connections (Linux
                                #   >= 6.15, at least 1000; the kernel's is
                                #   120000: under heavy loss a connection's
                                #   timeouts double to minutes); 0: the
                                #   kernel's (0, 1000..120000)
        copies = 0              #   [0] connections each estimate goes out on at
                                #   once (at most connections; the receiver
                                #   keeps the first to arrive); 0: auto, one,
                                #   and two (on all of the link's connections
                                #   in turn) for the 100 rounds after one of the
                                #   link's connections was seen retransmitting,
                                #   when the link has no datagrams (0..8)
        datagrams = 2           #   [2] on a tcp:// link seen retransmitting,
                                #   or asked for a resend long after the send
                                #   (the 100 rounds after), UDP datagrams each
                                #   estimate, resend and heartbeat also
                                #   goes out as, sealed with the agents' keys,
                                #   on the agent's port number, none held back
                                #   by a lost TCP segment; one more for 20
                                #   rounds after the neighbour asked for a
                                #   resend; a WANT and its resend on any
                                #   tcp:// link; the receiver keeps the first
                                #   copy; 0: TCP only (0..8)
