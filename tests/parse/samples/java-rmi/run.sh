# java.rmi.RemoteException's "; nested exception is:" message (OpenJDK 17): prints trace.txt.
cd "$(dirname "$0")" && out="$(mktemp -d)" && javac -d "$out" Main.java && java -cp "$out" Main 2>&1 | tail -n +2
