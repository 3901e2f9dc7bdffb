//go:build cni_gc

package main

import (
	"context"

	"github.com/containernetworking/cni/libcni"
	"github.com/containernetworking/cni/pkg/types"
)

// gcNetworkList runs GC for list, keeping the attachments (id, ifname) of ids.
func gcNetworkList(ctx context.Context, cfg *libcni.CNIConfig, list *libcni.NetworkConfigList, ids []string, ifname string) error {
	args := &libcni.GCArgs{}
	for _, id := range ids {
		args.ValidAttachments = append(args.ValidAttachments, types.GCAttachment{ContainerID: id, IfName: ifname})
	}
	return cfg.GCNetworkList(ctx, list, args)
}

func statusNetworkList(ctx context.Context, cfg *libcni.CNIConfig, list *libcni.NetworkConfigList) error {
	return cfg.GetStatusNetworkList(ctx, list)
}
