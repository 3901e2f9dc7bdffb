import CNISpec
import HostLocal
import ReleaseVersion

PluginMain.run(HostLocalPlugin(), release: releaseVersion)
