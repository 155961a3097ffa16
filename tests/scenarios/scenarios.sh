#!/bin/sh
# The provenance scenario suite: one run of every workload the graph tests
# check (tests/scenarios/scenarios_test.cc), in a fresh directory.
#   usage: scenarios.sh DIR WORKLOAD
# DIR must be canonical (no symbolic links); WORKLOAD is tests/workload.
set -eu
D=$1
W=$2
cd "$D"

# write a file, then read it in another process; then write it again
"$W" write "$D/wr.txt" hello
"$W" read "$D/wr.txt"
"$W" append "$D/wr.txt" more

# cp, mv, rm, ln (relative names: resolved against the working directory)
echo data > a
cp a b
mv b c
rm a
ln c c2

# a shell pipeline
echo piped | cat > pipe_out

# a script run with arguments
printf '#!/bin/sh\necho "$@" > "$1"\n' > script.sh
chmod +x script.sh
./script.sh "$D/script_out" two

# a process with threads
: > threads.txt
"$W" threads 3 "$D/threads.txt"

# credentials
"$W" setuid 65534
"$W" setgid 65534

# attributes, access checks, maps
"$W" chmod "$D/c"
"$W" access "$D/c"
"$W" mmap-shared "$D/c"
"$W" mmap-private "$D/c"
