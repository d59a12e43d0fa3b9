import Glibc
import Runtime

exit(MonitorMain.run(CommandLine.arguments))
