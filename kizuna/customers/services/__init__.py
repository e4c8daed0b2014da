"""The customers app's rules and writes, one module per noun. Functions named `check_*`
validate and raise; the others write, inside one transaction each."""
