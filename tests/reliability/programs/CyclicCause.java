// Two exceptions that are each other's cause: printStackTrace marks the loop
// with "[CIRCULAR REFERENCE: ...]" instead of printing forever.
public class CyclicCause {
    public static void main(String[] args) {
        RuntimeException outer = new RuntimeException("payment failed");
        IllegalStateException inner = new IllegalStateException("ledger out of sync", outer);
        outer.initCause(inner);
        outer.printStackTrace();
        System.exit(1);
    }
}
