from dictation.launch import main

raise SystemExit(main())
