/*  ss_hosts: the hosts of an experiment, network namespaces made and torn
    down by it (root only), and the kernel's ways to impair their network.

    N agent hosts plus one for the coordinator (index N), named
    "ssx<pid>_<i>", addresses NET.(i+1)/24 on one network. Two wirings:
    - bridge: a namespace holding a bridge, one veth per host (the kernel
      all the way); impairments with `tc qdisc ... netem` where the kernel
      has sch_netem;
    - wire: a TUN device per host, carried by `swarmshape wire` (a child
      of the experiment's supervisor), which applies delay with jitter,
      duplication and reordering in userspace: for kernels without
      sch_netem (this machine's).
    In both, loss and partitions are nftables rules inside the hosts'
    namespaces (`numgen random mod 10000 < P*100 counter drop`; drop-all
    rules for a partition), one table per event, whose counters
    ss_hosts_nft_dropped reads before the table goes. TCP keeps its default
    settings (rto_min 200 ms): as a deployment would, and the fleet's own
    links (several connections, repairs) keep a lost segment from stalling
    the rounds. Every command run (ip, nft, tc) is logged to the experiment's log.
*/
#ifndef SS_HOSTS_H
#define SS_HOSTS_H

#include <stdbool.h>
#include <stdint.h>
#include "ss_supervisor.h"

typedef struct ss_hosts_t ss_hosts_t;

//  Can this process make hosts? NULL when it can, else why not (one
//  phrase: "not root", "no ip(8)", "no nft(8)", "ip netns add fails")
const char *ss_hosts_unavailable (void);
//  Does the kernel have sch_netem (probed in a scratch namespace)?
bool ss_hosts_have_netem (void);

//  n agent hosts + the coordinator's. wire: TUN devices carried by
//  `SELF wire` (self_exe: this program) started under sv; else the bridge.
//  log_path: where the commands' output goes. NULL and a line in err.
ss_hosts_t *ss_hosts_new (int n, bool wire, const char *self_exe,
                          ss_supervisor_t *sv, const char *log_path,
                          const char *ctl_path, char *err, size_t err_size);
//  Deletes the namespaces (killing what still runs in them)
void ss_hosts_destroy (ss_hosts_t **self_p);

//  Host i's namespace name and address (i == n: the coordinator's host)
const char *ss_hosts_netns (ss_hosts_t *self, int i);
const char *ss_hosts_ip (ss_hosts_t *self, int i);
//  "bridge (veth, netem)" | "bridge (veth)" | "userspace wire (TUN)"
const char *ss_hosts_wiring (ss_hosts_t *self);
bool ss_hosts_netem (ss_hosts_t *self);

//  nft -f of rules (the text of `table inet NAME { ... }`) in host i. 0/-1
int ss_hosts_nft (ss_hosts_t *self, int i, const char *rules);
//  The sum of the packet counters of table NAME in host i (-1: unreadable)
int64_t ss_hosts_nft_dropped (ss_hosts_t *self, int i, const char *table);
//  Delete table NAME in host i; 0 or -1
int ss_hosts_nft_delete (ss_hosts_t *self, int i, const char *table);
//  netem arguments ("delay 20ms 10ms", "duplicate 5%", "" to remove) on
//  host i's egress: tc netem (bridge with netem) or the wire. 0 or -1.
int ss_hosts_impair (ss_hosts_t *self, int i, const char *netem);

#endif
