import sys

from ioperator.cli import main

sys.exit(main())
