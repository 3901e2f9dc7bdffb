import Bridge
import CNISpec
import ReleaseVersion

PluginMain.run(BridgePlugin(), release: releaseVersion)
