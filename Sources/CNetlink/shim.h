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

#endif
