from klachtbeheer.cli import main

main()
