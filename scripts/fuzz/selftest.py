#!/usr/bin/env python3
"""Tests of the fuzzer's own logic that need no namespace: the comparison,
the normalisation, the rules' verdicts on made-up observations, the
shrinker, and the generator's determinism. Ends with "N passed, M failed"."""
import copy, os, random, sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import cases, cause, compare, observe, runner, shrink  # noqa: E402

TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


def side(steps, **state):
    base = {'node': {'links': {}, 'routes': [], 'sysctl': {}, 'iptables': [], 'ip6tables': [], 'nft': {}},
            'pod': {'links': {}, 'routes': [], 'sysctl': {}}, 'store': {}}
    base.update(state)
    return dict(base, steps=steps)


def step(cmd, conf=None, plugin='bridge', **env):
    return {'plugin': plugin, 'env': dict({'CNI_COMMAND': cmd, 'CNI_CONTAINERID': 'c1', 'CNI_NETNS': '$POD',
                                           'CNI_IFNAME': 'eth0', 'CNI_PATH': '$BIN'}, **env),
            'conf': conf or {'cniVersion': '1.0.0', 'name': 'fznet', 'type': 'bridge', 'ipam': {'type': 'host-local'}}}


def result(ref_steps, our_steps, ref_state=None, our_state=None, by=None):
    raw = {'ref': [{'by': 'ref'} for _ in ref_steps], 'ours': [{'by': 'ours'} for _ in our_steps]}
    return {'ref': side(ref_steps, **(ref_state or {})), 'ours': side(our_steps, **(our_state or {})), 'raw': raw}


@test
def equal_sides_have_no_difference():
    case = {'steps': [step('ADD')]}
    ok = {'exit': 0, 'out': {'cniVersion': '1.0.0', 'ips': [{'address': '10.1.2.2/24'}]}}
    found, _ = compare.findings(case, result([ok], [copy.deepcopy(ok)]))
    assert found == [], found


@test
def another_address_is_a_finding():
    case = {'steps': [step('ADD')]}
    a = {'exit': 0, 'out': {'ips': [{'address': '10.1.2.2/24'}]}}
    b = {'exit': 0, 'out': {'ips': [{'address': '10.1.2.3/24'}]}}
    found, _ = compare.findings(case, result([a], [b]))
    assert [f[3] for f in found] == ['steps.bridge ADD.out.ips.0.address'], found


@test
def error_code_999_against_a_spec_code_with_the_same_message_is_deliberate():
    case = {'steps': [step('ADD')]}
    a = {'exit': 1, 'out': {'code': 999, 'msg': 'no IP ranges specified'}}
    b = {'exit': 1, 'out': {'code': 7, 'msg': 'no IP ranges specified', 'cniVersion': '1.0.0'}}
    found, explained = compare.findings(case, result([a], [b]))
    assert found == [] and {e[3] for e in explained} == {'spec_error_codes', 'error_carries_version'}, (found, explained)


@test
def another_message_is_a_finding_even_with_a_deliberate_code():
    case = {'steps': [step('ADD')]}
    a = {'exit': 1, 'out': {'code': 999, 'msg': 'no IP ranges specified'}}
    b = {'exit': 1, 'out': {'code': 7, 'msg': 'something else', 'cniVersion': '1.0.0'}}
    found, _ = compare.findings(case, result([a], [b]))
    assert [f[3] for f in found] == ['steps.bridge ADD.out.msg'], found


@test
def a_diverging_rule_explains_the_rest_of_the_case():
    l2 = {'cniVersion': '0.2.0', 'name': 'fznet', 'type': 'bridge'}
    case = {'steps': [step('ADD', l2), step('DEL', l2)]}
    a = [{'exit': 1, 'out': {'code': 999, 'msg': 'cannot convert: no valid IP addresses'}}, {'exit': 0, 'out': None}]
    b = [{'exit': 1, 'out': {'code': 1, 'msg': 'cannot convert: no valid IP addresses', 'cniVersion': '0.2.0',
                             'details': 'no IP'}}, {'exit': 1, 'out': {'code': 7, 'msg': 'x'}}]
    veth = {'kind': 'veth'}
    found, explained = compare.findings(case, result(a, b, {'node': {'links': {'<veth1>': veth}}}, {}))
    assert found == [], found
    assert any(e[3] == 'after l2_old_versions' for e in explained), explained


@test
def the_references_random_pick_among_requests_is_deliberate_but_another_address_is_not():
    conf = {'cniVersion': '1.0.0', 'name': 'fznet', 'type': 'bridge', 'args': {'cni': {'ips': ['10.1.2.1/24', '10.1.2.3']}},
            'ipam': {'type': 'host-local', 'ranges': [[{'subnet': '10.1.2.0/24'}]]}}
    case = {'steps': [step('ADD', conf)]}
    ref = {'exit': 1, 'out': {'code': 7, 'msg': 'failed to allocate all requested IPs: 10.1.2.1'}}
    ours = {'exit': 1, 'out': {'code': 7, 'msg': 'failed to allocate all requested IPs: 10.1.2.3'}}
    f = '/run/fz/data/fznet/last_reserved_ip.0'
    found, _ = compare.findings(case, result([ref], [ours], {'store': {f: {'content': '10.1.2.3'}}},
                                             {'store': {f: {'content': '10.1.2.1'}}}))
    assert found == [], found
    other = {'exit': 1, 'out': {'code': 7, 'msg': 'failed to allocate all requested IPs: 10.1.2.4'}}
    found, _ = compare.findings(case, result([ref], [other]))
    assert [x[3] for x in found] == ['steps.bridge ADD.out.msg'], found


@test
def a_bridge_mac_moved_under_a_gateway_it_already_had_is_deliberate_but_not_once_an_add_put_it_on():
    conf = {'cniVersion': '0.4.0', 'name': 'fznet', 'type': 'bridge', 'isGateway': True,
            'ipam': {'type': 'host-local', 'ranges': [[{'subnet': '10.1.0.0/16'}]]}}
    add = {'exit': 0, 'out': {'cniVersion': '0.4.0', 'ips': [{'address': '10.1.0.2/16', 'gateway': '10.1.0.1'}]}}
    check_ok = {'exit': 0, 'out': None}
    check_moved = {'exit': 1, 'out': {'code': 999, 'msg': "Bridge interface cni0 Mac doesn't match: <mac>"}}
    for addrs, expected in ((['10.1.0.1/16'], []), (['10.9.0.1/16'], ['steps.bridge CHECK.exit'])):
        case = {'pre': {'links': [{'name': 'cni0', 'type': 'bridge', 'addrs': addrs}]},
                'steps': [step('ADD', conf), step('CHECK', conf)]}
        found, _ = compare.findings(case, result([add, check_ok], [copy.deepcopy(add), check_moved]))
        assert [x[3] for x in found][:1] == expected, (addrs, found)


@test
def store_mode_0644_against_0600_is_deliberate_but_0755_is_not():
    case = {'steps': [step('ADD')]}
    ok = {'exit': 0, 'out': None}
    f = '/run/fz/data/fznet/10.1.2.2'
    found, _ = compare.findings(case, result([ok], [ok], {'store': {f: {'content': 'c1\r\neth0', 'mode': '0644'}}},
                                             {'store': {f: {'content': 'c1\r\neth0', 'mode': '0600'}}}))
    assert found == [], found
    found, _ = compare.findings(case, result([ok], [ok], {'store': {f: {'content': 'c1\r\neth0', 'mode': '0644'}}},
                                             {'store': {f: {'content': 'c1\r\neth0', 'mode': '0755'}}}))
    assert [x[3] for x in found] == ['store.<ip>.mode'], found


@test
def normalisation_keeps_requested_macs_and_numbers_veths():
    n = observe.Normaliser({'02:42:ac:11:00:0a'})
    v = n.value({'a': 'veth0a1b2c3d', 'b': '02:42:ac:11:00:0a', 'c': '6e:00:00:00:00:01', 'd': 'veth0a1b2c3d',
                 'e': 'fe80::1:2'})
    assert v == {'a': '<veth1>', 'b': '02:42:ac:11:00:0a', 'c': '<mac>', 'd': '<veth1>', 'e': '<fe80>'}, v


@test
def normalisation_names_host_veths_after_their_pod_peers():
    # The sides' random names sort differently; the peers' names do not.
    ref = observe.Normaliser(set(), {'veth0000000b': 'eth0', 'veth0000000a': 'eth1'})
    ours = observe.Normaliser(set(), {'veth0000000a': 'eth0', 'veth0000000b': 'eth1'})
    assert ref.value(['veth0000000a', 'veth0000000b', 'veth0000000c']) == ['<veth@eth1>', '<veth@eth0>', '<veth1>']
    assert ours.value(['veth0000000b', 'veth0000000a']) == ['<veth@eth1>', '<veth@eth0>']


@test
def an_unusable_netns_reported_before_a_bridge_that_cannot_be_set_up_is_deliberate_but_not_before_ipam():
    case = {'steps': [step('ADD', CNI_NETNS='$STALE')]}
    netns = {'exit': 1, 'out': {'code': 4, 'msg': 'failed to open netns "/x": unknown FS magic on "/x": 1021994',
                                'cniVersion': '1.0.0', 'details': 'CNI_NETNS must name a network namespace'}}
    bridge = {'exit': 1, 'out': {'code': 999, 'msg': 'failed to create bridge "b": "b" already exists but is not a bridge'}}
    found, _ = compare.findings(case, result([bridge], [netns]))
    assert found == [], found
    ipam = {'exit': 1, 'out': {'code': 999, 'msg': 'no IP addresses available in range set: 10.1.2.1-10.1.2.2'}}
    found, _ = compare.findings(case, result([ipam], [copy.deepcopy(netns)]))
    assert [f[3] for f in found] == ['steps.bridge ADD.out.msg'], found


@test
def check_failing_on_spoofcheck_rules_is_deliberate_only_after_a_gc_that_left_the_attachment_out():
    gc = step('GC', CNI_CONTAINERID='', CNI_IFNAME='', CNI_NETNS='')
    gc['conf'] = dict(gc['conf'], **{'cni.dev/valid-attachments': [{'containerID': 'c1', 'ifname': 'net1'}]})
    ok = {'exit': 0, 'out': None}
    missing = {'exit': 1, 'out': {'code': 999, 'cniVersion': '1.0.0', 'msg': 'macspoofchk rule missing in bridge nat '
                                  'PREROUTING: iifname "veth0" jump cni-br-iface-c1-eth0 comment "macspoofchk-c1-eth0"'}}
    case = {'steps': [gc, step('CHECK')]}
    found, _ = compare.findings(case, result([ok, ok], [ok, missing]))
    assert found == [], found
    case = {'steps': [step('ADD'), step('GC', CNI_CONTAINERID='', CNI_IFNAME='', CNI_NETNS=''), step('CHECK')]}
    found, _ = compare.findings(case, result([ok, ok, ok], [ok, ok, copy.deepcopy(missing)]))
    assert found, 'a GC without a list leaves every rule'
    # An attachment no ADD of ours made has no rules to find: deliberate.
    case = {'steps': [step('CHECK')]}
    found, _ = compare.findings(case, result([ok], [copy.deepcopy(missing)]))
    assert found == [], found


@test
def findings_of_one_field_are_grouped_by_what_each_side_said():
    field = 'steps.bridge ADD.out.msg'
    def finding(ref, ours):
        return (('steps', 0, 'out', 'msg'), ref, ours, field)
    conflict = finding('failed to set bridge addr: "cni0" already has an IP address different from 10.1.2.1/24',
                       'failed to find plugin "nope" in path [/run/fz/bin]')
    same_words = finding('failed to set bridge addr: "br7" already has an IP address different from fd00:1::1/120',
                         'failed to find plugin "x" in path [/run/fz/bin]')
    other_words = finding('failed to set bridge addr: "cni0" already has an IP address different from 10.1.2.1/24',
                          'invalid plugin name: ../host-local')
    assert cause.cause(conflict) == cause.cause(same_words), (cause.cause(conflict), cause.cause(same_words))
    assert cause.cause(conflict) != cause.cause(other_words)
    assert cause.cause((('steps', 0, 'exit'), 1, 0, 'steps.bridge ADD.exit')) != \
        cause.cause((('steps', 0, 'exit'), 0, 1, 'steps.bridge ADD.exit'))


@test
def shrinking_keeps_only_what_the_finding_needs():
    case = {'pre': {'store': {'fznet/10.1.2.5': 'c1'}, 'sysctl': {'net/ipv4/ip_forward': '1'}},
            'steps': [step('ADD', {'name': 'fznet', 'mtu': 1400, 'ipam': {'type': 'host-local'}}),
                      step('DEL'), step('CHECK')]}

    def check(c):          # the "finding": an ADD whose conf has an mtu
        hit = any(s['env']['CNI_COMMAND'] == 'ADD' and 'mtu' in s.get('conf', {}) for s in c['steps'])
        return ([((), None, None, 'x')] if hit else []), {'known': []}
    small = shrink.shrink(case, lambda f, r: bool(f), check, budget=200)
    assert small == {'pre': {}, 'steps': [{'plugin': 'bridge', 'env': {'CNI_COMMAND': 'ADD', 'CNI_CONTAINERID': 'c1',
                     'CNI_NETNS': '$POD', 'CNI_IFNAME': 'eth0', 'CNI_PATH': '$BIN'}, 'conf': {'mtu': 1400}}]}, small


@test
def a_case_is_a_function_of_seed_and_index():
    a = cases.generate(random.Random('7:3'))
    b = cases.generate(random.Random('7:3'))
    assert a == b and a != cases.generate(random.Random('7:4'))


@test
def generated_cases_cover_every_verb_and_version():
    seen_cmd, seen_version = set(), set()
    for i in range(2000):
        for s in cases.generate(random.Random('cover:%d' % i))['steps']:
            seen_cmd.add(s.get('env', {}).get('CNI_COMMAND'))
            if isinstance(s.get('conf'), dict):
                seen_version.add(s['conf'].get('cniVersion'))
    assert {'ADD', 'DEL', 'CHECK', 'GC', 'STATUS', 'VERSION'} <= seen_cmd, seen_cmd
    assert set(cases.VERSIONS) <= seen_version, seen_version



@test
def generated_cases_reach_the_rarer_forms():
    seen = set()
    for i in range(3000):
        case = cases.generate(random.Random('rare:%d' % i))
        for s in case['steps']:
            env, conf = s.get('env', {}), s.get('conf')
            seen.add('override' if 'CNI_NETNS_OVERRIDE' in env else None)
            seen.add(s.get('prevResultEdit'))
            if isinstance(conf, dict):
                seen.add('no-version' if 'cniVersion' not in conf and s.get('plugin') != 'store' else None)
                ips = conf.get('args', {}).get('cni', {}).get('ips') if isinstance(conf.get('args'), dict) and \
                    isinstance(conf['args'].get('cni'), dict) else None
                if isinstance(ips, list) and any(':' in str(x) for x in ips) and any('.' in str(x) for x in ips):
                    seen.add('dual-static')
        if any(k.endswith('last_reserved_ip.1') for k in case['pre'].get('store', {})):
            seen.add('last-reserved-1')
    assert {'override', 'no-ips', 'other-address', 'no-version', 'dual-static', 'last-reserved-1'} <= seen, seen


@test
def a_stale_cached_result_differs_only_where_it_says():
    prev = {'cniVersion': '1.0.0', 'interfaces': [{'name': 'eth0'}], 'routes': [],
            'ips': [{'address': '10.1.2.2/24', 'interface': 0}]}
    assert runner.edit_prev_result(prev, 'other-address')['ips'][0]['address'] == '10.1.2.3/24'
    assert 'interfaces' not in runner.edit_prev_result(prev, 'no-interfaces')
    assert runner.edit_prev_result(prev, None) == prev and prev['ips'][0]['address'] == '10.1.2.2/24'



@test
def the_static_request_model_leaves_wrong_shaped_args_to_the_binary():
    env = {'CNI_ARGS': ''}
    assert runner.models._requested_ips(env, {'args': 'x'}) is None
    assert runner.models._requested_ips(env, {'args': {'cni': {'ips': ['10.1.2.5']}}, 'runtimeConfig': 'x'}) is None
    assert runner.models._requested_ips(env, {'args': {'cni': {'ips': ['10.1.2.5']}}}) == \
        [cases.ipaddress.ip_address('10.1.2.5')]
    assert runner.models._range_sets({'runtimeConfig': 'x', 'ipam': {'ranges': [[{'subnet': '10.1.2.0/24'}]]}}) == \
        [[{'subnet': '10.1.2.0/24'}]]



@test
def the_models_read_a_v4_mapped_address_as_go_does():
    assert str(runner.models.go_ip('::ffff:10.1.2.9')) == '10.1.2.9'
    assert str(runner.models.go_ip('FD00:1::5')) == 'fd00:1::5'
    env = {'CNI_ARGS': 'IP=::ffff:10.1.2.9'}
    assert runner.models._requested_ips(env, {}) == [cases.ipaddress.ip_address('10.1.2.9')]
    assert runner.models._bounds({'subnet': '10.1.2.0/24', 'rangeStart': '::ffff:10.1.2.3'})[0] == \
        cases.ipaddress.ip_address('10.1.2.3')


def main():
    passed = failed = 0
    for t in TESTS:
        try:
            t()
            passed += 1
        except Exception as e:                 # AssertionError or a crash: both fail the test
            failed += 1
            print('FAIL %s: %r' % (t.__name__, e))
    print('%d passed, %d failed' % (passed, failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
