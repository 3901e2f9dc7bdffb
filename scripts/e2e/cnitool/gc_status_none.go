//go:build !cni_gc

package main

import (
	"context"
	"fmt"
	"os"

	"github.com/containernetworking/cni/libcni"
)

// This libcni predates GC and STATUS (CNI spec 1.1.0, libcni 1.2.0).

func gcNetworkList(context.Context, *libcni.CNIConfig, *libcni.NetworkConfigList, []string, string) error {
	fmt.Fprintln(os.Stderr, "cnitool: gc: not supported by this libcni")
	os.Exit(exitUnsupported)
	return nil
}

func statusNetworkList(context.Context, *libcni.CNIConfig, *libcni.NetworkConfigList) error {
	fmt.Fprintln(os.Stderr, "cnitool: status: not supported by this libcni")
	os.Exit(exitUnsupported)
	return nil
}
