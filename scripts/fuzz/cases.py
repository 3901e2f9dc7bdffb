"""The case generator: draws cases from the reference's whole input space
(REFERENCE.md): every bridge and host-local key with values near the edges
(valid, invalid, wrong JSON types), every CNI_* variable and the
CNI_ARGS / args.cni / runtimeConfig forms, every result version, pre-states
(an existing bridge with or without addresses, stray veths, an interface
already in the pod, stores with current and legacy reservations,
last_reserved_ip files, a full range, masquerade rules) and sequences of
ADD, CHECK, DEL, GC, STATUS and VERSION, some mixing implementations.

Most drawn values are valid, so that cases reach the deep paths; each case
then gets a few edge mutations. generate(rng) is a pure function of rng.
"""
import copy, hashlib, ipaddress

VERSIONS = ['0.1.0', '0.2.0', '0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0']
BAD_VERSIONS = ['', '9.9.9', '1.0', 1.0, None, '0.4']
NET = 'fznet'

V4 = ['10.1.2.0/24', '10.1.2.0/29', '10.1.2.0/30', '10.1.0.0/16']
V6 = ['fd00:1::/64', 'fd00:1::/125', 'fd00:1::/120']
BAD_SUBNETS = ['10.1.2.5/24', '10.1.2.0/31', '10.1.2.0/32', '10.1.2.0/33', 'garbage', 'fd00:1::/127',
               '', 7, None, '10.01.2.0/24', 'FD00:1::/64']     # (the last two: spellings Go's parser judges)

CONTAINERS = ['c1', 'c2', 'c3']
IFNAMES = ['eth0', 'net1', 'eth1']
MAC = '02:42:ac:11:00:0a'


def _hosts(cidr):
    net = ipaddress.ip_network(cidr)
    return net, net.network_address


def _addr(cidr, offset):
    net = ipaddress.ip_network(cidr)
    return str(net.network_address + offset)


def _last(cidr):
    net = ipaddress.ip_network(cidr)
    return net.broadcast_address - (1 if net.version == 4 else 0)


def masq_rules(network, cid, addresses):
    """The iptables rules the reference's ipMasq writes for one container."""
    chain = 'CNI-' + hashlib.sha512((network + cid).encode()).hexdigest()[:24]
    comment = 'name: "%s" id: "%s"' % (network, cid)
    v4 = [['-t', 'nat', '-N', chain]]
    v6 = [['-t', 'nat', '-N', chain]]
    for a in addresses:
        net = ipaddress.ip_interface(a)
        rules = v6 if net.version == 6 else v4
        rules.append(['-t', 'nat', '-A', chain, '-d', str(net.network), '-m', 'comment', '--comment', comment,
                      '-j', 'ACCEPT'])
    for rules, mc in ((v4, '224.0.0.0/4'), (v6, 'ff00::/8')):
        rules.append(['-t', 'nat', '-A', chain, '!', '-d', mc, '-m', 'comment', '--comment', comment,
                      '-j', 'MASQUERADE'])
    for a in addresses:
        net = ipaddress.ip_interface(a)
        rules = v6 if net.version == 6 else v4
        rules.append(['-t', 'nat', '-A', 'POSTROUTING', '-s', str(net.ip), '-m', 'comment', '--comment', comment,
                      '-j', chain])
    return v4 if len(v4) > 2 else [], v6 if len(v6) > 2 else []


class Draw:
    """One case's random choices, with the network it settled on."""

    def __init__(self, rng):
        self.rng = rng
        family = rng.choice(['4', '4', '4', '6', 'dual'])
        self.v4 = rng.choice(V4) if family in ('4', 'dual') else None
        self.v6 = rng.choice(V6) if family in ('6', 'dual') else None
        self.bridge = rng.choice(['cni0', 'cni0', 'fzbr0'])
        self.version = rng.choice(VERSIONS + VERSIONS[3:] * 2) if rng.random() > 0.04 else rng.choice(BAD_VERSIONS)

    def chance(self, p):
        return self.rng.random() < p

    def pick(self, seq):
        return self.rng.choice(seq)

    # -- host-local ---------------------------------------------------------------------

    def range_(self, cidr):
        r = {'subnet': cidr}
        net = ipaddress.ip_network(cidr)
        size = net.num_addresses
        if self.chance(0.1):
            r['gateway'] = self.pick([_addr(cidr, 1), _addr(cidr, size - 2), _addr(cidr, 2), '192.0.2.1',
                                      'nonsense', str(net.network_address), 5, '::ffff:' + _addr(cidr, 9)])
        if self.chance(0.1):
            r['rangeStart'] = self.pick([_addr(cidr, 2), _addr(cidr, 3), str(net.network_address),
                                         _addr(cidr, size - 2), '10.9.9.9', 'x', _addr(cidr, 1),
                                         '::ffff:' + _addr(cidr, 3)])
        if self.chance(0.1):
            r['rangeEnd'] = self.pick([_addr(cidr, 3), str(_last(cidr)), str(net.broadcast_address),
                                       _addr(cidr, 2), '10.9.9.9', 'fd00:9::1', _addr(cidr, min(size - 2, 6))])
        return r

    def ipam(self):
        ipam = {'type': 'host-local', 'dataDir': '$DATA'}
        sets = [[self.range_(c)] for c in (self.v4, self.v6) if c]
        style = self.rng.random()
        if style < 0.15 and len(sets) == 1 and len(sets[0]) == 1:
            ipam.update(sets[0][0])                      # the legacy single-range keys
        elif style < 0.25 and self.v4:
            extra = self.pick([[{'subnet': '10.3.0.0/29'}], [{'subnet': '10.1.2.0/28'}],
                               [{'subnet': 'fd00:3::/120'}], []])
            sets.append(extra)                           # another set: disjoint, overlapping, other family, empty
            ipam['ranges'] = sets
        elif style < 0.3 and self.v4:
            sets[0].append({'subnet': self.pick(['10.4.0.0/30', '10.1.2.0/30', 'fd00:4::/126'])})
            ipam['ranges'] = sets                        # two ranges in one set
        else:
            ipam['ranges'] = sets
        if self.chance(0.3):
            gw = {'gw': _addr(self.v4, 254 if ipaddress.ip_network(self.v4).num_addresses > 256 else 2)} if self.v4 else {}
            ipam['routes'] = self.pick([[{'dst': '0.0.0.0/0'}], [dict({'dst': '192.168.7.0/24'}, **gw)],
                                        [{'dst': '::/0'}], [{'dst': '0.0.0.0/0'}, {'dst': '::/0'}],
                                        [{'dst': 'bogus'}], 'notalist', [{'dst': '10.77.0.0/16', 'gw': '10.99.0.1'}],
                                        [{'dst': '0.0.0.0/0', 'gw': 'fd00:1::1'}],               # gw of the other family
                                        [{'dst': '192.168.7.0/24'}, {'dst': '192.168.7.0/24'}],   # the same route twice
                                        [{'dst': '192.168.7.0/24', 'mtu': 1300, 'advmss': 1200, 'priority': 10}],
                                        [{'dst': '192.168.8.0/24', 'table': 100}, {'dst': '192.168.9.0/24', 'scope': 253}],
                                        [{'dst': '192.168.7.0/24', 'priority': -1}, {'dst': '192.168.7.0/24', 'mtu': 'x'}]])
        if self.chance(0.1):
            ipam['dataDir'] = self.pick(['$SCRATCH/notadir', None, '$DATA/deeper/dir', '', 5])
            if ipam['dataDir'] is None:
                del ipam['dataDir']                      # the default /var/lib/cni/networks (a tmpfs here)
        if self.chance(0.1):
            ipam['resolvConf'] = self.pick(['$SCRATCH/resolv.conf', '$SCRATCH/resolv.conf', '/nonexistent/resolv.conf',
                                            '', '$SCRATCH', 5])   # empty, a directory, a wrong type
        return ipam

    # -- bridge -------------------------------------------------------------------------

    BRIDGE_KEYS = {
        'bridge': ['cni0', 'fzbr0', '', 'a' * 15, 'a' * 16, 'lo', 5, None],
        'isGateway': [True, False, 'true', 1, None],
        'isDefaultGateway': [True, False, 'yes'],
        'forceAddress': [True, False],
        'ipMasq': [True, False, 'true'],
        'ipMasqBackend': ['iptables', 'nftables', 'foo', 1],
        'mtu': [0, 67, 68, 576, 1280, 1400, 9000, 65535, 65536, -1, '1400', 1400.5, None],
        'hairpinMode': [True, False, 0],
        'promiscMode': [True, False],
        'portIsolation': [True, False, 'true'],
        'enabledad': [True, False],
        'macspoofchk': [True, False],
        'disableContainerInterface': [True, False],
        'vlan': [0, 1, 4094, 4095, -1, '5'],
        'vlanTrunk': [[], [{'id': 5}], [{'minID': 1, 'maxID': 10}], [{'minID': 10, 'maxID': 1}], [{'minID': 1}],
                      [{'maxID': 3}], [{'id': 0}], [{'id': 4095}], 'x'],
        'preserveDefaultVlan': [True, False],
        'dns': [{}, {'nameservers': ['10.0.0.53']}, {'domain': 'ex.com', 'search': ['a.ex.com'], 'options': ['ndots:5']},
                'bad', {'nameservers': 'x'}, {'domain': ''}, {'nameservers': []}, {'search': ['a.ex.com'], 'options': None},
                {'nameservers': ['fd00::53', '10.0.0.53'], 'domain': 'x.y'}],
        'unknownKey': ['whatever'],
        'capabilities': [{'mac': True, 'ips': True}, {'portMappings': True, 'ipRanges': True}],
        'type': ['host-local', 'other'],                 # not this plugin's name: neither plugin reads it
        'prevResult': [{'cniVersion': '1.0.0', 'ips': [{'address': '10.1.2.77/24'}]}],
    }

    def bridge_conf(self):
        conf = {'cniVersion': self.version, 'name': NET, 'type': 'bridge', 'bridge': self.bridge}
        for key, p in (('isGateway', 0.5), ('isDefaultGateway', 0.25), ('ipMasq', 0.2), ('hairpinMode', 0.15),
                       ('forceAddress', 0.1), ('promiscMode', 0.1), ('mtu', 0.1), ('enabledad', 0.05),
                       ('macspoofchk', 0.1), ('portIsolation', 0.05), ('dns', 0.1)):
            if self.chance(p):
                conf[key] = self.pick(self.BRIDGE_KEYS[key][:2] if key != 'mtu' else [1400, 9000, 1280])
        if self.chance(0.12):
            conf['ipam'] = self.pick([{}, {'type': ''}, {'type': 'nope'}, {'type': 5}])   # L2, missing plugin, bad type
        else:
            conf['ipam'] = self.ipam()
        return conf

    def host_local_conf(self):
        return {'cniVersion': self.version, 'name': NET, 'type': 'host-local', 'ipam': self.ipam()}

    def mutate(self, conf, plugin):
        """A few edge values: a bridge key, a host-local key, a top-level form."""
        for _ in range(self.pick([0, 0, 1, 1, 1, 2, 3])):
            what = self.rng.random()
            if what < 0.45 and plugin == 'bridge':
                key = self.pick(sorted(self.BRIDGE_KEYS))
                value = self.pick(self.BRIDGE_KEYS[key])
                if value is None and self.chance(0.5):
                    conf.pop(key, None)
                else:
                    conf[key] = copy.deepcopy(value)
            elif what < 0.7 and isinstance(conf.get('ipam'), dict) and conf['ipam'].get('type') == 'host-local':
                ipam = conf['ipam']
                edit = self.pick(['subnet', 'ranges', 'dropranges', 'routes', 'type'])
                if edit == 'subnet':
                    ipam['subnet'] = self.pick(BAD_SUBNETS + V4)
                elif edit == 'ranges':
                    ipam['ranges'] = self.pick([[], [[]], 'x', [[{'subnet': self.pick(BAD_SUBNETS)}]],
                                                [[{'subnet': '10.1.2.0/24'}, {'subnet': 'fd00:1::/64'}]],
                                                [[{'subnet': '10.1.2.0/24'}], [{'subnet': '10.1.2.0/25'}]],
                                                [[{'rangeStart': '10.1.2.2'}]]])
                elif edit == 'dropranges':
                    ipam.pop('ranges', None)
                    ipam.pop('subnet', None)
                elif edit == 'routes':
                    ipam['routes'] = self.pick([[{'dst': '0.0.0.0/0', 'gw': '10.1.2.1'}], [{}], [{'dst': 5}]])
                else:
                    ipam['type'] = self.pick(['host-local', 'Host-Local', '../host-local'])
            else:
                form = self.pick(['name', 'version', 'args', 'runtimeConfig', 'noipam'])
                if form == 'name':
                    conf['name'] = self.pick(['', 'bad name', 'n.1-_x', 'a' * 80, 5])
                    if conf['name'] == 5 and self.chance(0.5):
                        del conf['name']
                elif form == 'version':
                    conf['cniVersion'] = self.pick(VERSIONS + BAD_VERSIONS)
                    if conf['cniVersion'] is None and self.chance(0.5):
                        del conf['cniVersion']           # absent: the library's 0.1.0
                elif form == 'args':
                    conf['args'] = {'cni': self.static_args()} if self.chance(0.8) else self.pick(
                        ['x', {'cni': 'x'}, {'cni': {'ips': [5]}}, {'k8s': {'pod': 'p'}, 'cni': {}}])
                elif form == 'runtimeConfig':
                    conf['runtimeConfig'] = self.runtime_config() if self.chance(0.8) else self.pick(
                        ['x', [], {'ips': 'x'}, {'mac': 5}, {'ipRanges': 'x'},
                         {'portMappings': [{'hostPort': 80, 'containerPort': 80, 'protocol': 'tcp'}],
                          'bandwidth': {'ingressRate': 1}}])     # capabilities of other plugins: ignored
                elif plugin == 'bridge':
                    if self.chance(0.7):
                        conf.pop('ipam', None)
                    else:
                        conf['ipam'] = self.pick(['x', [], None, {'type': 'host-local'}])
        return conf

    def static_ip(self, offset=None):
        cidr = self.v4 or self.v6
        net = ipaddress.ip_network(cidr)
        offset = offset if offset is not None else self.pick([2, 3, net.num_addresses - 2, 1, 0, net.num_addresses])
        ip = net.network_address + min(offset, net.num_addresses - 1)
        spelled = self.pick(['::ffff:%s' % ip, '0' + str(ip)] if ip.version == 4 else   # v4-mapped, leading zero
                            [str(ip).upper(), ip.exploded])                              # not canonical
        ip = str(ip)
        return self.pick([ip, ip, ip + '/%d' % net.prefixlen, '10.200.0.1', 'bogus', spelled])

    def static_dual(self):
        """One request per family of a dual-stack config (one per range set)."""
        if not (self.v4 and self.v6):
            return [self.static_ip()]
        v6 = ipaddress.ip_network(self.v6)
        return [self.static_ip(), str(v6.network_address + self.pick([2, 3, v6.num_addresses - 1]))]

    def static_args(self):
        a = {}
        if self.chance(0.7):
            a['ips'] = self.pick([[self.static_ip()], [self.static_ip(), self.static_ip()], [], 'x', self.static_dual()])
        if self.chance(0.4):
            a['mac'] = self.pick([MAC, 'zz', '02:42:AC:11:00:0B', 5])
        return a

    def runtime_config(self):
        rc = {}
        if self.chance(0.5):
            rc['ips'] = [self.static_ip()] if self.chance(0.8) else self.static_dual()
        if self.chance(0.3):
            rc['mac'] = self.pick([MAC, 'nope', '02:00:00:00:00:01'])
        if self.chance(0.3):
            rc['ipRanges'] = self.pick([[[{'subnet': '10.5.0.0/29'}]], [[{'subnet': 'fd00:5::/120'}]], [],
                                        [[{'subnet': '10.1.2.0/24'}]],
                                        [[{'subnet': '10.5.0.0/29', 'rangeStart': '10.5.0.3', 'gateway': '10.5.0.6'}]]])
        return rc

    # -- environment --------------------------------------------------------------------

    def cni_args(self):
        return self.pick(['', '', 'IgnoreUnknown=1', 'IP=%s' % self.static_ip(), 'IgnoreUnknown=1;IP=%s' % self.static_ip(),
                          'MAC=%s' % MAC, 'IgnoreUnknown=true;MAC=%s' % MAC, 'IgnoreUnknown=True;K8S_POD_NAME=p',
                          'K8S_POD_NAME=p', 'bad', 'IP=bogus;IgnoreUnknown=1', 'a=b=c', 'IgnoreUnknown=0;MAC=%s' % MAC,
                          'IgnoreUnknown=1;MAC=zz', ';', self.pick(self.CNI_ARGS_EDGES)])

    CNI_ARGS_EDGES = [
        'IgnoreUnknown=1;K8S_POD_NAMESPACE=ns;K8S_POD_NAME=p;K8S_POD_INFRA_CONTAINER_ID=abc;K8S_POD_UID=u',  # kubelet's
        'IgnoreUnknown=TRUE;K8S_POD_NAME=p', 'IgnoreUnknown=yes', 'IgnoreUnknown=false;K8S_POD_NAME=p',
        'IP=', 'MAC=', 'IgnoreUnknown=1;IP=10.1.2.3;IP=10.1.2.4', 'IgnoreUnknown=1;', '=x', 'ip=10.1.2.3',
        'IgnoreUnknown=1;mac=02:42:ac:11:00:0a', 'MAC=02:42:AC:11:00:0B', 'IgnoreUnknown=1;IP=10.1.2.3/24',
        'IgnoreUnknown=1;IP=fd00:1::7', 'IgnoreUnknown=1;IP= 10.1.2.3']

    ENV_EDGES = {
        'CNI_CONTAINERID': ['', 'x y', '-abc', '.abc', 'c' * 200, 'ok.id_1-2', None],
        'CNI_IFNAME': ['', 'a' * 15, 'a' * 16, '.', '..', 'a/b', 'a:b', 'a b', 'lo', None,
                       'e\u00a00', 'e\u00e00', 'e\u20000', 'e\u00850', '\u00e9th0'],   # bytes the kernel judges
        'CNI_NETNS': ['', '$GONE', '$STALE', '$NODE', '/proc/self/ns/net', '$POD/', None],
        'CNI_PATH': ['', '/nonexistent', '$BIN:/nonexistent', '/nonexistent:$BIN', '::$BIN:', '$BIN/', None],
        'CNI_NETNS_OVERRIDE': ['1', 'true', '0'],     # with CNI_NETNS the plugin's own namespace (below)
        'CNI_COMMAND': ['FOO', '', 'add', None],
    }

    def env(self, cmd, cid='c1', ifname='eth0'):
        e = {'CNI_COMMAND': cmd, 'CNI_CONTAINERID': cid, 'CNI_NETNS': '$POD', 'CNI_IFNAME': ifname,
             'CNI_PATH': '$BIN'}
        if cmd in ('GC', 'STATUS'):
            e.update(CNI_CONTAINERID='', CNI_NETNS='', CNI_IFNAME='', CNI_ARGS='')   # what libcni sends
        elif self.chance(0.25):
            e['CNI_ARGS'] = self.cni_args()
        if self.chance(0.08):
            key = self.pick(sorted(self.ENV_EDGES))
            value = self.pick(self.ENV_EDGES[key])
            if value is None:
                e.pop(key, None)
            else:
                e[key] = value
            if key == 'CNI_NETNS_OVERRIDE' and cmd not in ('GC', 'STATUS'):
                e['CNI_NETNS'] = '$NODE'
        return e

    # -- pre-state -----------------------------------------------------------------------

    def pre(self, conf):
        pre = {}
        links = []
        if self.chance(0.35):
            addrs = []
            gw4 = self.v4 and '%s/%d' % (_addr(self.v4, 1), ipaddress.ip_network(self.v4).prefixlen)
            gw6 = self.v6 and '%s/%d' % (_addr(self.v6, 1), ipaddress.ip_network(self.v6).prefixlen)
            choice = self.pick(['none', 'same', 'conflict4', 'prefix4', 'other4', 'conflict6', 'overlap6',
                                'other6', 'both'])
            if choice == 'same':
                addrs = [a for a in (gw4, gw6) if a]
            elif choice == 'conflict4':          # another host of the same subnet (an old gateway)
                addrs = ['%s/%d' % (_last(self.v4), ipaddress.ip_network(self.v4).prefixlen)] if self.v4 else ['10.1.2.254/24']
            elif choice == 'prefix4' and gw4:
                addrs = [gw4.split('/')[0] + '/25']
            elif choice == 'other4':
                addrs = ['192.168.50.1/24']
            elif choice == 'conflict6':          # another host of the same IPv6 subnet
                addrs = ['%s/%d' % (_addr(self.v6, 0xfe % ipaddress.ip_network(self.v6).num_addresses),
                                    ipaddress.ip_network(self.v6).prefixlen)] if self.v6 else ['fd00:1::fe/64']
            elif choice == 'overlap6':
                addrs = ['fd00:1::1/48']
            elif choice == 'other6':
                addrs = ['fd00:99::1/64']
            elif choice == 'both':
                addrs = ['10.1.2.254/24', 'fd00:1::fe/64']
            links.append({'type': 'bridge', 'name': self.bridge, 'addrs': addrs,
                          'up': self.chance(0.7), **({'mtu': 1450} if self.chance(0.2) else {})})
            if self.chance(0.3):
                links.append({'type': 'veth', 'name': 'veth0000beef', 'peer': 'peer0000beef', 'master': self.bridge})
        elif self.chance(0.05):
            links.append({'type': 'veth', 'name': self.bridge, 'peer': 'notbridgep'})     # not a bridge
        if self.chance(0.05):
            links.append({'type': 'veth', 'name': 'veth0000dead', 'peer': 'peer0000dead'})
        if links:
            pre['links'] = links
        if self.chance(0.07):
            pre['podLinks'] = [{'type': 'veth', 'name': self.pick(['eth0', 'eth0', 'net1']), 'peer': 'podpeer0'}]
        store = {}
        cidr = self.v4 or self.v6
        if self.v4 and self.v6 and self.chance(0.3):
            cidr = self.v6                               # the second range set's family
        net = ipaddress.ip_network(cidr)
        set_index = 1 if cidr == self.v6 and self.v4 else 0
        if self.chance(0.3):
            for _ in range(self.pick([1, 1, 2, 3])):
                ip = str(net.network_address + self.pick([2, 3, 4, 5, 5, 1, net.num_addresses + 7]))  # the gateway, outside
                who = self.pick(['other', 'c1', 'c2', 'c1-legacy', 'c2-legacy', 'c1-net1', 'spaces', 'crlf-end',
                                 'lf', 'empty'])
                store['%s/%s' % (NET, ip)] = {'other': 'zz9\r\neth0', 'c1': 'c1\r\neth0', 'c2': 'c2\r\neth1',
                                              'c1-legacy': 'c1', 'c2-legacy': 'c2', 'c1-net1': 'c1\r\nnet1',
                                              'spaces': ' c1 \r\neth0\n', 'crlf-end': 'c1\r\neth0\r\n',
                                              'lf': 'c1\neth0', 'empty': ''}[who]
        if self.chance(0.15):
            store['%s/last_reserved_ip.%d' % (NET, set_index)] = self.pick(
                [str(net.network_address + 3), str(_last(cidr)), 'garbage', '10.250.0.1', '', str(net.network_address + 3) + '\n'])
        if self.chance(0.06) and net.num_addresses <= 256:
            gw = net.network_address + 1
            end = net.broadcast_address if net.version == 6 else net.broadcast_address - 1
            for i in range(int(net.network_address) + 1, int(end) + 1):
                ip = ipaddress.ip_address(i)
                if ip != gw:
                    store['%s/%s' % (NET, ip)] = 'full\r\neth0'
        if store:
            pre['store'] = store
        if self.chance(0.06):
            addrs = [a for a in ('%s/%d' % (_addr(self.v4, 2), ipaddress.ip_network(self.v4).prefixlen) if self.v4 else None,
                                 '%s/%d' % (_addr(self.v6, 2), ipaddress.ip_network(self.v6).prefixlen) if self.v6 else None) if a]
            v4, v6 = masq_rules(NET, self.pick(['c1', 'zz9']), addrs)
            if v4:
                pre['iptables'] = v4
            if v6:
                pre['ip6tables'] = v6
        if self.chance(0.1):
            keys = ['net/ipv4/ip_forward', 'net/ipv6/conf/all/forwarding']
            if any(l['name'] == self.bridge and l['type'] == 'bridge' for l in links):
                keys.append('net/ipv6/conf/%s/disable_ipv6' % self.bridge)   # a bridge without IPv6
            pre['sysctl'] = {self.pick(keys): self.pick(['0', '1'])}
        pre['files'] = {'$SCRATCH/resolv.conf': self.pick(['nameserver 10.0.0.10\nsearch a.local b.local\noptions ndots:5\n',
                                                           '# empty\n', 'domain x.y\nnameserver fd00::53\nbogus\n'])}
        return pre


def _step(plugin, env, conf, **extra):
    s = {'plugin': plugin, 'env': env, 'conf': copy.deepcopy(conf)}
    s.update(extra)
    return s


def generate(rng):
    d = Draw(rng)
    plugin = 'bridge' if d.chance(0.75) else 'host-local'
    conf = d.bridge_conf() if plugin == 'bridge' else d.host_local_conf()
    seq = d.pick(['single', 'single', 'lifecycle', 'lifecycle', 'two', 'dup', 'roundrobin', 'mixed', 'gc',
                  'status', 'version', 'raw'])
    base = copy.deepcopy(conf)
    if seq in ('gc', 'status'):
        # Valid configs only: GC and STATUS are compared with models, which
        # take the reference's verdict on host-local keys but not on bridge keys.
        conf['cniVersion'] = '1.1.0' if d.chance(0.85) else d.pick(VERSIONS)
        if plugin == 'bridge' and not isinstance(conf['ipam'].get('type', ''), str):
            conf['ipam'] = d.ipam()
        if plugin == 'bridge' and d.chance(0.1):
            conf['ipam']['type'] = 'nope'            # an IPAM plugin that is not installed
    else:
        conf = d.mutate(conf, plugin)
    pre = d.pre(conf)
    if plugin == 'bridge' and any(l.get('addrs') for l in pre.get('links', [])) and d.chance(0.4):
        # A bridge that has addresses: does ADD keep, add or replace them? (the
        # config unmutated, so that ADD gets that far)
        conf = dict(base, isGateway=True, forceAddress=d.chance(0.6))
    steps = []
    if seq == 'single':
        cmd = d.pick(['ADD', 'ADD', 'ADD', 'DEL', 'CHECK', 'VERSION'])
        steps.append(_step(plugin, d.env(cmd), conf))
    elif seq == 'lifecycle':
        steps.append(_step(plugin, d.env('ADD'), conf))
        if d.chance(0.7):
            steps.append(_step(plugin, d.env('CHECK'), conf, prevResult=0))
            if d.chance(0.12):                    # a cached result that is not the truth
                steps[-1]['prevResultEdit'] = d.pick(['no-ips', 'other-address', 'no-interfaces', 'no-routes'])
        steps.append(_step(plugin, d.env('DEL'), conf, prevResult=0))
        if d.chance(0.08):                        # DEL does not trust the cache either
            steps[-1]['prevResultEdit'] = d.pick(['no-ips', 'other-address', 'no-interfaces'])
        if d.chance(0.4):
            steps.append(_step(plugin, d.env('DEL'), conf, prevResult=0))
        elif d.chance(0.15):
            steps.append(_step(plugin, d.env('CHECK'), conf, prevResult=0))    # of an attachment that is gone
        if d.chance(0.3):
            steps.append(_step(plugin, d.env('ADD'), conf))
    elif seq == 'two':
        steps.append(_step(plugin, d.env('ADD'), conf))
        steps.append(_step(plugin, d.env('ADD', 'c2', 'eth1'), conf))
        steps.append(_step(plugin, d.env(d.pick(['DEL', 'CHECK'])), conf, prevResult=0))
        if d.chance(0.5):
            steps.append(_step(plugin, d.env('ADD', 'c3', 'net1'), conf))
    elif seq == 'dup':
        steps.append(_step(plugin, d.env('ADD'), conf))
        again = copy.deepcopy(conf)
        if d.chance(0.7):                          # a static request for an attachment that holds an address
            again['args'] = {'cni': {'ips': [d.static_ip(offset=d.pick([3, 5, 9]))]}}
        steps.append(_step(plugin, d.env('ADD', 'c1', d.pick(['eth0', 'eth0', 'eth0', 'net1'])), again))
    elif seq == 'roundrobin':
        for cid, ifn in (('c1', 'eth0'), ('c2', 'eth1')):
            steps.append(_step(plugin, d.env('ADD', cid, ifn), conf))
        steps.append(_step(plugin, d.env('DEL', 'c1', 'eth0'), conf))
        steps.append(_step(plugin, d.env('ADD', 'c3', 'net1'), conf))
    elif seq == 'mixed':
        first, second = d.pick([('ref', 'ours'), ('ours', 'ref')])
        steps.append(_step(plugin, d.env('ADD'), conf, by=first))
        if d.chance(0.5):
            steps.append(_step(plugin, d.env('CHECK'), conf, prevResult=0, by=second))
        steps.append(_step(plugin, d.env('DEL'), conf, prevResult=0, by=second))
        if d.chance(0.5):
            steps.append(_step(plugin, d.env('ADD', 'c2', 'eth1'), conf, by=first))
    elif seq == 'gc':
        adds = d.pick([1, 2, 2])
        for cid, ifn in list(zip(['c1', 'c2'], ['eth0', 'eth1']))[:adds]:
            steps.append(_step(plugin, d.env('ADD', cid, ifn), conf))
        gc_conf = copy.deepcopy(conf)
        lst = d.pick(['absent', 'empty', 'null', 'c2', 'c1', 'both', 'legacy-key', 'c1-wrong-if', 'garbage'])
        key = 'cni.dev/attachments' if lst == 'legacy-key' else 'cni.dev/valid-attachments'
        value = {'absent': None, 'empty': [], 'null': None, 'c2': [{'containerID': 'c2', 'ifname': 'eth1'}],
                 'c1': [{'containerID': 'c1', 'ifname': 'eth0'}], 'legacy-key': [{'containerID': 'c2', 'ifname': 'eth1'}],
                 'both': [{'containerID': 'c1', 'ifname': 'eth0'}, {'containerID': 'c2', 'ifname': 'eth1'}],
                 'c1-wrong-if': [{'containerID': 'c1', 'ifname': 'net1'}], 'garbage': 'x'}[lst]
        if lst != 'absent':
            gc_conf[key] = value
        steps.append(_step(plugin, d.env('GC'), gc_conf))
        if d.chance(0.6):
            steps.append(_step(plugin, d.env('CHECK', 'c1', 'eth0'), conf, prevResult=0))
    elif seq == 'status':
        if d.chance(0.4):
            steps.append(_step(plugin, d.env('ADD'), conf))
        steps.append(_step(plugin, d.env('STATUS'), conf))
    elif seq == 'version':
        steps.append(_step(plugin, d.env('VERSION'), {'cniVersion': d.pick(VERSIONS + BAD_VERSIONS)}))
    else:
        raw = d.pick(['', 'not json', '[]', 'null', '{', '{"cniVersion":"1.0.0"}', '"str"', '{"name":"fznet"}'])
        steps.append({'plugin': plugin, 'env': d.env(d.pick(['ADD', 'DEL', 'CHECK'])), 'stdin': raw})
    if seq in ('lifecycle', 'two', 'dup', 'gc', 'mixed') and d.chance(0.2):
        # After the first ADD, rewrite its reservation in place as an older
        # reference would have written it (or an admin may): the legacy format.
        steps.insert(1, {'plugin': 'store', 'rewrite': 'legacy', 'containerID': 'c1', 'ifname': 'eth0'})
        for s in steps[2:]:
            if isinstance(s.get('prevResult'), int) and s['prevResult'] >= 1:
                s['prevResult'] += 1
    return {'pre': pre, 'steps': steps}
