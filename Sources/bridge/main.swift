import Bridge
import CNISpec

PluginMain.run(BridgePlugin())
