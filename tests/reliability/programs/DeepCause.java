// A chain of 1,000 causes, each wrapping the one before it.
public class DeepCause {
    static final int DEPTH = 1_000;

    public static void main(String[] args) {
        Exception error = new java.io.IOException("disk unreachable");
        for (int level = 1; level < DEPTH; level++) {
            error = new RuntimeException("level " + level + " failed", error);
        }
        error.printStackTrace();
        System.exit(1);
    }
}
