#!/usr/bin/env python3
"""cri.py: a tiny CRI v1 client that drives a runtime the way kubelet does.

usage: cri.py SOCKET COMMAND [ARGS...]
  version | status | images | pods
  runp NAME                      RunPodSandbox -> sandbox id
  runp-many N PREFIX             N RunPodSandbox calls at once -> one id per line
  inspectp ID                    PodSandboxStatus (verbose) -> JSON {id, state, ip, netns, cniResult}
  stopp ID... | rmp ID...        StopPodSandbox / RemovePodSandbox (several IDs: in parallel)
  create POD_ID POD_NAME NAME IMAGE CMD...   CreateContainer -> container id
  start ID | stop ID | rm ID
  exec ID CMD...                 ExecSync; prints stdout/stderr, exits with CMD's status

Messages come from cri_v1_subset.proto, compiled with protoc --python_out into the
directory named by $CRI_GEN_DIR (the gRPC method stubs are written out below, so no
grpc code generator is needed). Sandboxes get cgroup_parent $CRI_CGROUP_PARENT
(default: none). Exit status 1 with "rpc error: CODE: details" on a failed call."""
import json
import os
import sys
import threading

sys.path.insert(0, os.environ.get("CRI_GEN_DIR", os.path.dirname(os.path.abspath(__file__))))
import grpc  # noqa: E402
import cri_v1_subset_pb2 as pb  # noqa: E402

RUNTIME, IMAGES = "runtime.v1.RuntimeService", "runtime.v1.ImageService"


class Client:
    def __init__(self, socket):
        self.channel = grpc.insecure_channel("unix://" + socket)

    def call(self, service, method, request, response_type, timeout=120):
        stub = self.channel.unary_unary("/%s/%s" % (service, method),
                                        request_serializer=lambda m: m.SerializeToString(),
                                        response_deserializer=response_type.FromString)
        return stub(request, timeout=timeout)


def sandbox_config(name):
    """What kubelet sends for a pod: metadata, hostname, labels, a pod-level netns."""
    linux = pb.LinuxPodSandboxConfig(
        cgroup_parent=os.environ.get("CRI_CGROUP_PARENT", ""),
        security_context=pb.LinuxSandboxSecurityContext(
            namespace_options=pb.NamespaceOption(network=pb.POD, pid=pb.CONTAINER, ipc=pb.POD)))
    return pb.PodSandboxConfig(
        metadata=pb.PodSandboxMetadata(name=name, uid="uid-" + name, namespace="e2e", attempt=0),
        hostname=name, labels={"app": name}, linux=linux)


def parallel(fn, items):
    """Runs fn(item) for every item at once; returns results in order, raises the first error."""
    results, errors = [None] * len(items), []

    def run(i, item):
        try:
            results[i] = fn(item)
        except grpc.RpcError as e:
            errors.append(e)

    threads = [threading.Thread(target=run, args=(i, it)) for i, it in enumerate(items)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    if errors:
        raise errors[0]
    return results


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    c, cmd, args = Client(sys.argv[1]), sys.argv[2], sys.argv[3:]

    def runp(name):
        return c.call(RUNTIME, "RunPodSandbox", pb.RunPodSandboxRequest(config=sandbox_config(name)),
                      pb.RunPodSandboxResponse).pod_sandbox_id

    if cmd == "version":
        r = c.call(RUNTIME, "Version", pb.VersionRequest(version="v1"), pb.VersionResponse)
        print(json.dumps({"runtime_name": r.runtime_name, "runtime_version": r.runtime_version,
                          "runtime_api_version": r.runtime_api_version}))
    elif cmd == "status":
        r = c.call(RUNTIME, "Status", pb.StatusRequest(verbose=True), pb.StatusResponse)
        print(json.dumps({"conditions": {x.type: {"status": x.status, "reason": x.reason, "message": x.message}
                                         for x in r.status.conditions}}))
    elif cmd == "images":
        r = c.call(IMAGES, "ListImages", pb.ListImagesRequest(), pb.ListImagesResponse)
        print(json.dumps([{"id": i.id, "tags": list(i.repo_tags)} for i in r.images]))
    elif cmd == "pods":
        r = c.call(RUNTIME, "ListPodSandbox", pb.ListPodSandboxRequest(), pb.ListPodSandboxResponse)
        print(json.dumps([{"id": p.id, "name": p.metadata.name, "state": pb.PodSandboxState.Name(p.state)}
                          for p in r.items]))
    elif cmd == "runp":
        print(runp(args[0]))
    elif cmd == "runp-many":
        for sandbox_id in parallel(runp, ["%s%d" % (args[1], i) for i in range(int(args[0]))]):
            print(sandbox_id)
    elif cmd == "inspectp":
        r = c.call(RUNTIME, "PodSandboxStatus", pb.PodSandboxStatusRequest(pod_sandbox_id=args[0], verbose=True),
                   pb.PodSandboxStatusResponse)
        try:
            info = json.loads(r.info.get("info", "{}"))
        except ValueError:
            info = {}
        netns = ""
        for ns in info.get("runtimeSpec", {}).get("linux", {}).get("namespaces", []) or []:
            if ns.get("type") == "network":
                netns = ns.get("path", "")
        print(json.dumps({"id": r.status.id, "state": pb.PodSandboxState.Name(r.status.state),
                          "ip": r.status.network.ip, "netns": netns, "cniResult": info.get("cniResult")}))
    elif cmd in ("stopp", "rmp"):
        method, req, resp = {"stopp": ("StopPodSandbox", pb.StopPodSandboxRequest, pb.StopPodSandboxResponse),
                             "rmp": ("RemovePodSandbox", pb.RemovePodSandboxRequest, pb.RemovePodSandboxResponse)}[cmd]
        parallel(lambda i: c.call(RUNTIME, method, req(pod_sandbox_id=i), resp), args)
    elif cmd == "create":
        pod_id, pod_name, name, image, command = args[0], args[1], args[2], args[3], args[4:]
        cfg = pb.ContainerConfig(metadata=pb.ContainerMetadata(name=name), image=pb.ImageSpec(image=image),
                                 command=command, labels={"container": name})
        r = c.call(RUNTIME, "CreateContainer", pb.CreateContainerRequest(
            pod_sandbox_id=pod_id, config=cfg, sandbox_config=sandbox_config(pod_name)), pb.CreateContainerResponse)
        print(r.container_id)
    elif cmd == "start":
        c.call(RUNTIME, "StartContainer", pb.StartContainerRequest(container_id=args[0]), pb.StartContainerResponse)
    elif cmd == "stop":
        c.call(RUNTIME, "StopContainer", pb.StopContainerRequest(container_id=args[0], timeout=0),
               pb.StopContainerResponse)
    elif cmd == "rm":
        c.call(RUNTIME, "RemoveContainer", pb.RemoveContainerRequest(container_id=args[0]), pb.RemoveContainerResponse)
    elif cmd == "exec":
        r = c.call(RUNTIME, "ExecSync", pb.ExecSyncRequest(container_id=args[0], cmd=args[1:], timeout=20),
                   pb.ExecSyncResponse, timeout=30)
        sys.stdout.write(r.stdout.decode(errors="replace"))
        sys.stderr.write(r.stderr.decode(errors="replace"))
        sys.exit(r.exit_code)
    else:
        sys.exit("unknown command %r\n%s" % (cmd, __doc__))


if __name__ == "__main__":
    try:
        main()
    except grpc.RpcError as e:
        sys.exit("rpc error: %s: %s" % (e.code().name, e.details()))
