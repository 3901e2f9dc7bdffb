// Command cnitool drives CNI plugins through libcni, the library container
// runtimes use, with the command line of upstream's cnitool (which Debian does
// not package):
//
//	cnitool add|check|del NETWORK NETNS
//
// plus the extras the e2e scripts need:
//
//	cnitool cached NETWORK NETNS    print libcni's cached result
//	cnitool validate NETWORK        VERSION every plugin of the conflist
//	cnitool version PLUGIN          VERSION one plugin (needs only CNI_PATH)
//	cnitool gc NETWORK [ID ...]     GC, keeping the attachments ID (ifname CNI_IFNAME)
//	cnitool status NETWORK          STATUS
//
// Environment, as upstream: NETCONFPATH (default /etc/cni/net.d), CNI_PATH,
// CNI_ARGS ("K=V;K=V"), CAP_ARGS (JSON object), CNI_IFNAME (default eth0).
// Extensions: CNI_CACHE_DIR moves libcni's result cache (default /var/lib/cni),
// CNI_CONTAINERID overrides the container ID (default: derived from NETNS as
// upstream does). gc and status exist only when built with -tags cni_gc
// against a libcni that has them (1.2.0 and later); otherwise they exit 3.
package main

import (
	"context"
	"crypto/sha512"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/containernetworking/cni/libcni"
)

// exitUnsupported is the exit status of a command this libcni cannot do.
const exitUnsupported = 3

func fail(err error) {
	fmt.Fprintln(os.Stderr, "cnitool:", err)
	os.Exit(1)
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: cnitool add|check|del|cached NETWORK NETNS | validate|gc|status NETWORK | version PLUGIN")
	os.Exit(2)
}

func main() {
	if len(os.Args) < 3 {
		usage()
	}
	cmd, name := os.Args[1], os.Args[2]
	cfg := libcni.NewCNIConfigWithCacheDir(filepath.SplitList(os.Getenv("CNI_PATH")), os.Getenv("CNI_CACHE_DIR"), nil)
	ctx := context.Background()

	if cmd == "version" {
		info, err := cfg.GetVersionInfo(ctx, name)
		if err != nil {
			fail(err)
		}
		out, _ := json.Marshal(map[string]interface{}{"cniVersion": info.SupportedVersions()})
		fmt.Println(string(out))
		return
	}

	dir := os.Getenv("NETCONFPATH")
	if dir == "" {
		dir = "/etc/cni/net.d"
	}
	list, err := libcni.LoadConfList(dir, name)
	if err != nil {
		fail(err)
	}

	switch cmd {
	case "validate":
		caps, err := cfg.ValidateNetworkList(ctx, list)
		if err != nil {
			fail(err)
		}
		fmt.Println(strings.Join(caps, " "))
		return
	case "gc":
		if err := gcNetworkList(ctx, cfg, list, os.Args[3:], ifName()); err != nil {
			fail(err)
		}
		return
	case "status":
		if err := statusNetworkList(ctx, cfg, list); err != nil {
			fail(err)
		}
		return
	}

	if len(os.Args) < 4 {
		usage()
	}
	rt, err := runtimeConf(os.Args[3])
	if err != nil {
		fail(err)
	}
	switch cmd {
	case "add":
		res, err := cfg.AddNetworkList(ctx, list, rt)
		if err != nil {
			fail(err)
		}
		_ = res.Print()
	case "check":
		if err := cfg.CheckNetworkList(ctx, list, rt); err != nil {
			fail(err)
		}
	case "del":
		if err := cfg.DelNetworkList(ctx, list, rt); err != nil {
			fail(err)
		}
	case "cached":
		res, err := cfg.GetNetworkListCachedResult(list, rt)
		if err != nil {
			fail(err)
		}
		if res == nil {
			fail(fmt.Errorf("no cached result for %s", rt.ContainerID))
		}
		_ = res.Print()
	default:
		usage()
	}
}

func ifName() string {
	if v, ok := os.LookupEnv("CNI_IFNAME"); ok {
		return v
	}
	return "eth0"
}

// runtimeConf builds what a runtime passes per attachment, from the environment.
func runtimeConf(netns string) (*libcni.RuntimeConf, error) {
	netns, err := filepath.Abs(netns)
	if err != nil {
		return nil, err
	}
	id := os.Getenv("CNI_CONTAINERID")
	if id == "" {
		sum := sha512.Sum512([]byte(netns))
		id = fmt.Sprintf("cnitool-%x", sum[:10])
	}
	rt := &libcni.RuntimeConf{ContainerID: id, NetNS: netns, IfName: ifName()}
	if v := os.Getenv("CNI_ARGS"); v != "" {
		for _, pair := range strings.Split(v, ";") {
			kv := strings.SplitN(pair, "=", 2)
			if len(kv) != 2 || kv[0] == "" {
				return nil, fmt.Errorf("invalid CNI_ARGS pair %q", pair)
			}
			rt.Args = append(rt.Args, [2]string{kv[0], kv[1]})
		}
	}
	if v := os.Getenv("CAP_ARGS"); v != "" {
		if err := json.Unmarshal([]byte(v), &rt.CapabilityArgs); err != nil {
			return nil, fmt.Errorf("CAP_ARGS: %w", err)
		}
	}
	return rt, nil
}
