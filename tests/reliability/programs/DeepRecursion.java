// Overflow the stack 100,000 frames deep; run with -Xss512m -XX:MaxJavaStackTraceDepth=100000
// so the JVM keeps (and prints) every frame.
public class DeepRecursion {
    static final int DEPTH = 100_000;

    static int down(int n) {
        if (n == 0) {
            throw new IllegalStateException("gave up at depth " + DEPTH);
        }
        return down(n - 1) + 1;
    }

    public static void main(String[] args) {
        down(DEPTH - 3);
    }
}
