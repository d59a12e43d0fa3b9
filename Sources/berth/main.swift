import BerthCLI

await Berth.run()
