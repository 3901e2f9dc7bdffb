import CNISpec
import HostLocal

PluginMain.run(HostLocalPlugin())
