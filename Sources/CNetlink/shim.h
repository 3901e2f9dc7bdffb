/*
 * The one C boundary of the package: libnl-3 / libnl-route-3, plus the few
 * Linux calls that Swift's Glibc module does not expose (they sit behind
 * _GNU_SOURCE, or are C-variadic like syscall() and ioctl()).
 *
 * Everything here is a thin static-inline wrapper with no state of its own;
 * ownership of libnl objects is mirrored on the Swift side
 * (Sources/Netlink/Rtnetlink/Objects).
 */
#ifndef CNETLINK_SHIM_H
#define CNETLINK_SHIM_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
/* glibc's netinet/in.h first: linux/netfilter.h pulls in linux/in.h, which
 * then leaves glibc's definitions alone (linux/libc-compat.h). */
#include <netinet/in.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>

/* NF_BR_PRE_ROUTING of linux/netfilter_bridge.h: that header pulls in
 * linux/if.h, whose IFF_* enum clashes with glibc's net/if.h macros. */
#define CNL_NF_BR_PRE_ROUTING 0

#include <netlink/netlink.h>
#include <netlink/errno.h>
#include <netlink/addr.h>
#include <netlink/msg.h>
#include <netlink/attr.h>
#include <netlink/cache.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/addr.h>
#include <netlink/route/route.h>
#include <netlink/route/nexthop.h>
#include <string.h>
#include <linux/if_bridge.h>

/* ---- Namespaces ------------------------------------------------------- */

#define CNL_CLONE_NEWNET 0x40000000
#define CNL_NSFS_MAGIC 0x6e736673L
#define CNL_PROC_SUPER_MAGIC 0x9fa0L

/* setns(fd, CLONE_NEWNET) for the calling thread. 0 or -1 with errno. */
static inline int cnl_setns_net(int fd) {
    return (int)syscall(SYS_setns, fd, CNL_CLONE_NEWNET);
}

static inline int cnl_gettid(void) { return (int)syscall(SYS_gettid); }

/* f_type of the file system holding `path` (symlinks followed, as statfs
 * does), or -1 with errno. */
static inline long cnl_statfs_magic(const char *path) {
    struct statfs st;
    if (statfs(path, &st) != 0) return -1;
    return (long)st.f_type;
}

/* ioctl(fd, NS_GET_NSTYPE): the CLONE_NEW* type of a namespace file
 * (Linux >= 4.11), or -1 with errno (ENOTTY when fd is not an nsfs file or
 * the kernel predates the ioctl). */
static inline int cnl_ns_get_nstype(int fd) {
    return ioctl(fd, NS_GET_NSTYPE);
}

/* close_range(2) without flags: closes every descriptor in [first, last].
 * 0 or -1 with errno (ENOSYS before Linux 5.9). */
static inline int cnl_close_range(unsigned int first, unsigned int last) {
    return (int)syscall(SYS_close_range, first, last, 0);
}

/* membarrier(MEMBARRIER_CMD_GLOBAL): returns after an RCU grace period
 * (synchronize_rcu), holding no lock. 0, or -1 with errno (EINVAL with
 * nohz_full, ENOSYS before Linux 4.3). */
static inline int cnl_await_rcu_grace_period(void) {
    return (int)syscall(SYS_membarrier, 1 /* MEMBARRIER_CMD_GLOBAL */, 0, 0);
}

/* kcmp(KCMP_VM): 0 when the two processes share one address space, 1 or 2
 * when not, -1 with errno (e.g. ESRCH). */
static inline int cnl_kcmp_vm(int pid1, int pid2) {
    return (int)syscall(SYS_kcmp, pid1, pid2, 1 /* KCMP_VM */, 0, 0);
}

/* ---- closing a socket in a child that shares our memory ---------------- */

#if defined(__x86_64__) || defined(__aarch64__)
/* A system call that returns -errno and writes nothing else: the child
 * below shares the parent's memory and thread pointer, so it must not
 * write errno (glibc's syscall() would, into the parent's). */
static inline long cnl_raw_syscall4(long number, long a, long b, long c, long d) {
#if defined(__x86_64__)
    long ret;
    register long r10 __asm__("r10") = d;
    __asm__ volatile ("syscall" : "=a"(ret) : "a"(number), "D"(a), "S"(b), "d"(c), "r"(r10)
                      : "rcx", "r11", "memory");
    return ret;
#else
    register long x8 __asm__("x8") = number;
    register long x0 __asm__("x0") = a;
    register long x1 __asm__("x1") = b;
    register long x2 __asm__("x2") = c;
    register long x3 __asm__("x3") = d;
    __asm__ volatile ("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3) : "memory");
    return x0;
#endif
}

/* glibc's clone(), declared by sched.h only under _GNU_SOURCE. */
extern int clone(int (*fn)(void *), void *stack, int flags, void *arg, ...);
#define CNL_CLONE_VM 0x00000100

struct cnl_release_child {
    int socket_fd, gate_read, gate_write, grace_periods;
};

/* The child: standard descriptors on /dev/null, every other descriptor but
 * the socket and the gate's read end closed, then it waits for the gate to
 * close, sits out `grace_periods` RCU grace periods (membarrier GLOBAL)
 * and returns, which exits it and releases the socket. Raw system calls
 * only, on its own stack. */
static int cnl_release_child_main(void *opaque) {
    const struct cnl_release_child *child = opaque;
    long null = cnl_raw_syscall4(SYS_openat, AT_FDCWD, (long)"/dev/null", O_RDWR, 0);
    for (long fd = 0; null >= 0 && fd <= 2; fd++) {
        if (fd != null) cnl_raw_syscall4(SYS_dup3, null, fd, 0, 0);
    }
    cnl_raw_syscall4(SYS_close, child->gate_write, 0, 0, 0);
    int low = child->socket_fd < child->gate_read ? child->socket_fd : child->gate_read;
    int high = child->socket_fd < child->gate_read ? child->gate_read : child->socket_fd;
    long first = 3;
    int kept[2] = { low, high };
    for (int i = 0; i < 2; i++) {
        if (kept[i] < first) continue;
        if (kept[i] > first) cnl_raw_syscall4(SYS_close_range, first, kept[i] - 1, 0, 0);
        first = kept[i] + 1;
    }
    cnl_raw_syscall4(SYS_close_range, first, ~0U, 0, 0);
    char byte;
    while (cnl_raw_syscall4(SYS_read, child->gate_read, (long)&byte, 1, 0) == -EINTR) {}
    for (int i = 0; i < child->grace_periods; i++) {
        if (cnl_raw_syscall4(SYS_membarrier, 1 /* MEMBARRIER_CMD_GLOBAL */, 0, 0, 0) != 0) break;
    }
    return 0;
}
#endif

/* Starts `cnl_release_child_main` in a child that shares our memory
 * (CLONE_VM: no page tables copied, no copy-on-write faults afterwards)
 * but not our descriptor table, on a stack of its own that is never freed
 * (the child may outlive us), with every signal blocked. Returns its pid,
 * or -1 (no such child on this architecture, or clone failed). */
static inline int cnl_start_release_child(int socket_fd, int gate_read, int gate_write, int grace_periods) {
#if defined(__x86_64__) || defined(__aarch64__)
    const size_t size = 64 * 1024;
    char *stack = malloc(size);
    if (!stack) return -1;
    struct cnl_release_child *child = (struct cnl_release_child *)stack;
    child->socket_fd = socket_fd;
    child->gate_read = gate_read;
    child->gate_write = gate_write;
    child->grace_periods = grace_periods;
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &previous);
    int pid = clone(cnl_release_child_main, stack + size, CNL_CLONE_VM | SIGCHLD, child);
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    if (pid < 0) free(stack);
    return pid;
#else
    (void)socket_fd; (void)gate_read; (void)gate_write; (void)grace_periods;
    return -1;
#endif
}

/* getrandom(2) without flags: blocks only before the pool is initialised. */
static inline long cnl_getrandom(void *buf, unsigned long n) {
    return syscall(SYS_getrandom, buf, n, 0);
}

/* ---- libnl error capture ---------------------------------------------- */

/* Records the kernel's raw (negative) errno from an NLMSG_ERROR in *arg and
 * lets libnl map it to NLE_* as it would without this callback (NL_STOP ->
 * -nl_syserr2nlerr(error)). libnl's mapping is lossy (EADDRINUSE and EEXIST
 * both become NLE_EXIST, ENOENT and ESRCH both NLE_OBJ_NOTFOUND). */
static int cnl_record_kernel_errno(struct sockaddr_nl *nla, struct nlmsgerr *nlerr, void *arg) {
    (void)nla;
    *(int *)arg = nlerr->error;
    return NL_STOP;
}

/* Installs the recorder on the socket's callback set; `slot` must outlive
 * the socket. Functions that install their own error handler for one call
 * (rtnl_link_get_kernel) bypass it; the slot then stays as it was. */
static inline int cnl_socket_record_errno(struct nl_sock *sk, int *slot) {
    return nl_socket_modify_err_cb(sk, NL_CB_CUSTOM, cnl_record_kernel_errno, slot);
}

/* ---- Bridge ports ----------------------------------------------------- */

/* One RTM_SETLINK (family AF_BRIDGE) carrying IFLA_PROTINFO with
 * IFLA_BRPORT_MODE (hairpin) and/or IFLA_BRPORT_ISOLATED for the bridge
 * port `ifindex`. A value < 0 leaves that setting alone. libnl 3.7 knows the
 * hairpin flag (rtnl_link_bridge_set_flags) but not IFLA_BRPORT_ISOLATED,
 * so both go through this one message. Returns 0 or a negative NLE_*. The
 * kernel answers EOPNOTSUPP when the link has no bridge master. */
static inline int cnl_bridge_port_set(struct nl_sock *sk, int ifindex, int hairpin, int isolated) {
    struct ifinfomsg ifi = { .ifi_family = AF_BRIDGE, .ifi_index = ifindex };
    struct nl_msg *msg = nlmsg_alloc_simple(RTM_SETLINK, NLM_F_REQUEST | NLM_F_ACK);
    struct nlattr *protinfo;
    int err;

    if (!msg) return -NLE_NOMEM;
    err = nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO);
    if (err < 0) goto out;
    protinfo = nla_nest_start(msg, IFLA_PROTINFO | NLA_F_NESTED);
    if (!protinfo) { err = -NLE_MSGSIZE; goto out; }
    if (hairpin >= 0 && (err = nla_put_u8(msg, IFLA_BRPORT_MODE, hairpin ? 1 : 0)) < 0) goto out;
    if (isolated >= 0 && (err = nla_put_u8(msg, IFLA_BRPORT_ISOLATED, isolated ? 1 : 0)) < 0) goto out;
    nla_nest_end(msg, protinfo);
    err = nl_send_auto(sk, msg);
    if (err < 0) goto out;
    err = nl_wait_for_ack(sk);
out:
    nlmsg_free(msg);
    return err < 0 ? err : 0;
}

/* ---- One IPv6 address ------------------------------------------------ */

static void cnl_keep_first_object(struct nl_object *obj, void *arg) {
    struct nl_object **slot = arg;
    if (!*slot) { nl_object_get(obj); *slot = obj; }
}

static int cnl_parse_reply(struct nl_msg *msg, void *arg) {
    int err = nl_msg_parse(msg, cnl_keep_first_object, arg);
    return err < 0 ? NL_STOP : NL_OK;
}

/* RTM_GETADDR without NLM_F_DUMP: the kernel's entry for the IPv6 address
 * `address16` (16 bytes, network order) on link `ifindex`, one reply whatever
 * the number of addresses in the namespace (the kernel answers this only for
 * IPv6). On 0, *result is the entry (the caller owns one reference) or NULL.
 * A missing address is an NLMSG_ERROR with EADDRNOTAVAIL: a negative NLE_*,
 * with the errno recorder (above) holding the errno. */
static inline int cnl_addr6_get(struct nl_sock *sk, int ifindex, const void *address16,
                                struct rtnl_addr **result) {
    struct ifaddrmsg ifa = { .ifa_family = AF_INET6, .ifa_index = (unsigned)ifindex };
    struct nl_msg *msg = nlmsg_alloc_simple(RTM_GETADDR, 0);
    struct nl_object *found = NULL;
    struct nl_cb *cb = NULL;
    int err;

    *result = NULL;
    if (!msg) return -NLE_NOMEM;
    err = nlmsg_append(msg, &ifa, sizeof(ifa), NLMSG_ALIGNTO);
    if (err < 0) goto out;
    err = nla_put(msg, IFA_ADDRESS, 16, address16);
    if (err < 0) goto out;
    err = nl_send_auto(sk, msg);
    if (err < 0) goto out;
    cb = nl_cb_clone(nl_socket_get_cb(sk));
    if (!cb) { err = -NLE_NOMEM; goto out; }
    nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, cnl_parse_reply, &found);
    err = nl_recvmsgs(sk, cb);
    /* The reply came first; the ACK that nl_send_auto asked for follows. */
    if (err >= 0 && found) err = nl_wait_for_ack(sk);
out:
    if (cb) nl_cb_put(cb);
    nlmsg_free(msg);
    if (err < 0) {
        if (found) nl_object_put(found);
        return err;
    }
    *result = (struct rtnl_addr *)found;
    return 0;
}

/* ---- Bridge VLAN filtering ---------------------------------------------
 * libnl 3.7 has neither IFLA_BR_VLAN_FILTERING nor a writer for a port's
 * VLAN list, so these build the messages with libnl's message API. Each
 * returns 0 (or a count) on success and a negative NLE_* on failure; the
 * kernel's errno reaches the socket's error recorder as for any request. */

/* One RTM_NEWLINK (NLM_F_CREATE|NLM_F_EXCL) that creates bridge `name` with
 * IFLA_BR_VLAN_FILTERING=1, and `mtu` (> 0), `mac` (non-NULL, 6 bytes) and
 * IFF_UP (`up`) set in the same request. The kernel applies the bridge
 * options after registering the device and unregisters it again when they
 * fail, so a kernel without CONFIG_BRIDGE_VLAN_FILTERING (EOPNOTSUPP)
 * leaves no bridge behind. */
static inline int cnl_bridge_add_vlan_filtering(struct nl_sock *sk, const char *name, int mtu,
                                                const unsigned char *mac, int up) {
    struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
    struct nl_msg *msg = nlmsg_alloc_simple(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
    struct nlattr *linkinfo, *data;
    int err;

    if (!msg) return -NLE_NOMEM;
    if (up) { ifi.ifi_flags = 0x1; ifi.ifi_change = 0x1; } /* IFF_UP */
    if ((err = nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO)) < 0) goto out;
    if ((err = nla_put_string(msg, IFLA_IFNAME, name)) < 0) goto out;
    if (mtu > 0 && (err = nla_put_u32(msg, IFLA_MTU, (uint32_t)mtu)) < 0) goto out;
    if (mac && (err = nla_put(msg, IFLA_ADDRESS, 6, mac)) < 0) goto out;
    err = -NLE_MSGSIZE;
    if (!(linkinfo = nla_nest_start(msg, IFLA_LINKINFO))) goto out;
    if ((err = nla_put_string(msg, IFLA_INFO_KIND, "bridge")) < 0) goto out;
    err = -NLE_MSGSIZE;
    if (!(data = nla_nest_start(msg, IFLA_INFO_DATA))) goto out;
    if ((err = nla_put_u8(msg, IFLA_BR_VLAN_FILTERING, 1)) < 0) goto out;
    nla_nest_end(msg, data);
    nla_nest_end(msg, linkinfo);
    if ((err = nl_send_auto(sk, msg)) < 0) goto out;
    err = nl_wait_for_ack(sk);
out:
    nlmsg_free(msg);
    return err < 0 ? err : 0;
}

/* What a bridge's IFLA_INFO_DATA says about VLAN filtering. */
#define CNL_BRIDGE_VLAN_FILTERING_ON 1 /* IFLA_BR_VLAN_FILTERING is 1 */
#define CNL_BRIDGE_VLAN_SUPPORTED 2    /* IFLA_BR_VLAN_DEFAULT_PVID is present: the
                                          kernel has CONFIG_BRIDGE_VLAN_FILTERING */
#define CNL_BRIDGE_IS_BRIDGE 4         /* IFLA_INFO_KIND is "bridge" */

static int cnl_parse_bridge_vlan_state(struct nl_msg *msg, void *arg) {
    struct nlattr *tb[IFLA_MAX + 1], *info[IFLA_INFO_MAX + 1], *br[IFLA_BR_MAX + 1];
    int *state = (int *)arg;
    if (nlmsg_parse(nlmsg_hdr(msg), sizeof(struct ifinfomsg), tb, IFLA_MAX, NULL) < 0) return NL_SKIP;
    if (!tb[IFLA_LINKINFO] || nla_parse_nested(info, IFLA_INFO_MAX, tb[IFLA_LINKINFO], NULL) < 0) return NL_SKIP;
    if (!info[IFLA_INFO_KIND] || strcmp(nla_get_string(info[IFLA_INFO_KIND]), "bridge") != 0) return NL_SKIP;
    *state |= CNL_BRIDGE_IS_BRIDGE;
    if (!info[IFLA_INFO_DATA] || nla_parse_nested(br, IFLA_BR_MAX, info[IFLA_INFO_DATA], NULL) < 0) return NL_SKIP;
    if (br[IFLA_BR_VLAN_FILTERING] && nla_get_u8(br[IFLA_BR_VLAN_FILTERING])) *state |= CNL_BRIDGE_VLAN_FILTERING_ON;
    if (br[IFLA_BR_VLAN_DEFAULT_PVID]) *state |= CNL_BRIDGE_VLAN_SUPPORTED;
    return NL_OK;
}

/* RTM_GETLINK of link `ifindex`: a combination of the CNL_BRIDGE_* bits,
 * or a negative NLE_*. */
static inline int cnl_bridge_vlan_state(struct nl_sock *sk, int ifindex) {
    struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = ifindex };
    struct nl_msg *msg = nlmsg_alloc_simple(RTM_GETLINK, NLM_F_REQUEST);
    struct nl_cb *cb = NULL;
    int err, state = 0;

    if (!msg) return -NLE_NOMEM;
    if ((err = nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO)) < 0) goto out;
    err = -NLE_NOMEM;
    if (!(cb = nl_cb_clone(nl_socket_get_cb(sk)))) goto out;
    nl_cb_put(nl_socket_get_cb(sk)); /* nl_socket_get_cb took a reference */
    nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, cnl_parse_bridge_vlan_state, &state);
    if ((err = nl_send_auto(sk, msg)) < 0) goto out;
    /* The reply, then the ACK libnl asked for (nl_send_auto sets
     * NLM_F_ACK): both must be read, or the next request reads this ACK. */
    if ((err = nl_recvmsgs(sk, cb)) < 0) goto out;
    err = nl_wait_for_ack(sk);
out:
    if (cb) nl_cb_put(cb);
    nlmsg_free(msg);
    return err < 0 ? err : state;
}

/* One VLAN of a bridge port, as the kernel reports it. */
struct cnl_port_vlan { unsigned short vid; unsigned short flags; /* BRIDGE_VLAN_INFO_* */ };
struct cnl_port_vlan_list { int ifindex; int count; int capacity; struct cnl_port_vlan *items; };

static int cnl_parse_port_vlans(struct nl_msg *msg, void *arg) {
    struct cnl_port_vlan_list *list = (struct cnl_port_vlan_list *)arg;
    struct ifinfomsg *ifi = (struct ifinfomsg *)nlmsg_data(nlmsg_hdr(msg));
    struct nlattr *tb[IFLA_MAX + 1], *entry;
    int remaining;
    if (ifi->ifi_index != list->ifindex) return NL_SKIP;
    if (nlmsg_parse(nlmsg_hdr(msg), sizeof(struct ifinfomsg), tb, IFLA_MAX, NULL) < 0 || !tb[IFLA_AF_SPEC]) return NL_SKIP;
    nla_for_each_nested(entry, tb[IFLA_AF_SPEC], remaining) {
        const struct bridge_vlan_info *info;
        if (nla_type(entry) != IFLA_BRIDGE_VLAN_INFO || nla_len(entry) < (int)sizeof(*info)) continue;
        info = (const struct bridge_vlan_info *)nla_data(entry);
        if (list->count < list->capacity) {
            list->items[list->count].vid = info->vid;
            list->items[list->count].flags = info->flags;
        }
        list->count++;
    }
    return NL_OK;
}

/* The VLANs of bridge port `ifindex` (RTM_GETLINK dump, family AF_BRIDGE,
 * IFLA_EXT_MASK = RTEXT_FILTER_BRVLAN: one entry per VID, no ranges). Fills
 * at most `capacity` items and returns how many there are (more than
 * `capacity` means: call again with room for that many), or a negative
 * NLE_*. A link that is no bridge port has none. */
static inline int cnl_bridge_port_vlans(struct nl_sock *sk, int ifindex, struct cnl_port_vlan *items, int capacity) {
    struct ifinfomsg ifi = { .ifi_family = AF_BRIDGE };
    struct nl_msg *msg = nlmsg_alloc_simple(RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP);
    struct nl_cb *cb = NULL;
    struct cnl_port_vlan_list list = { .ifindex = ifindex, .count = 0, .capacity = capacity, .items = items };
    int err;

    if (!msg) return -NLE_NOMEM;
    if ((err = nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO)) < 0) goto out;
    if ((err = nla_put_u32(msg, IFLA_EXT_MASK, RTEXT_FILTER_BRVLAN)) < 0) goto out;
    err = -NLE_NOMEM;
    if (!(cb = nl_cb_clone(nl_socket_get_cb(sk)))) goto out;
    nl_cb_put(nl_socket_get_cb(sk));
    nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, cnl_parse_port_vlans, &list);
    if ((err = nl_send_auto(sk, msg)) < 0) goto out;
    err = nl_recvmsgs(sk, cb);
out:
    if (cb) nl_cb_put(cb);
    nlmsg_free(msg);
    return err < 0 ? err : list.count;
}

/* Adds (`add` != 0: RTM_SETLINK) or removes (RTM_DELLINK) the VIDs
 * `first`...`last` on bridge port `ifindex` (family AF_BRIDGE, IFLA_AF_SPEC
 * with IFLA_BRIDGE_VLAN_INFO; a range travels as a RANGE_BEGIN/RANGE_END
 * pair). `flags` are BRIDGE_VLAN_INFO_PVID / _UNTAGGED, for additions; PVID
 * needs first == last. The change applies to the port's entry in its
 * master bridge (no IFLA_BRIDGE_FLAGS means BRIDGE_FLAGS_MASTER). */
static inline int cnl_bridge_port_vlan_change(struct nl_sock *sk, int ifindex, int add,
                                              unsigned short first, unsigned short last, unsigned short flags) {
    struct ifinfomsg ifi = { .ifi_family = AF_BRIDGE, .ifi_index = ifindex };
    struct nl_msg *msg = nlmsg_alloc_simple(add ? RTM_SETLINK : RTM_DELLINK, NLM_F_REQUEST | NLM_F_ACK);
    struct nlattr *spec;
    struct bridge_vlan_info info = { .flags = flags, .vid = first };
    int err;

    if (!msg) return -NLE_NOMEM;
    if ((err = nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO)) < 0) goto out;
    err = -NLE_MSGSIZE;
    if (!(spec = nla_nest_start(msg, IFLA_AF_SPEC))) goto out;
    if (first == last) {
        if ((err = nla_put(msg, IFLA_BRIDGE_VLAN_INFO, sizeof(info), &info)) < 0) goto out;
    } else {
        info.flags = flags | BRIDGE_VLAN_INFO_RANGE_BEGIN;
        if ((err = nla_put(msg, IFLA_BRIDGE_VLAN_INFO, sizeof(info), &info)) < 0) goto out;
        info.flags = flags | BRIDGE_VLAN_INFO_RANGE_END;
        info.vid = last;
        if ((err = nla_put(msg, IFLA_BRIDGE_VLAN_INFO, sizeof(info), &info)) < 0) goto out;
    }
    nla_nest_end(msg, spec);
    if ((err = nl_send_auto(sk, msg)) < 0) goto out;
    err = nl_wait_for_ack(sk);
out:
    nlmsg_free(msg);
    return err < 0 ? err : 0;
}

#endif
