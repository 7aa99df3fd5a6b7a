from gongji.cli import main

main()
