import DNSResponder
#if canImport(Glibc)
import Glibc
#endif

exit(DNSServer.helperMain(CommandLine.arguments))
