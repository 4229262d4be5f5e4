from jwstdata.cli import main

main()
