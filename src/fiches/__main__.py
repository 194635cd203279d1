from fiches.cli import main

main()
