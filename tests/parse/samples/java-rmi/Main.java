import java.net.ServerSocket;
import java.net.Socket;
import java.rmi.RemoteException;

public class Main {
    static void read() throws Exception {
        try (ServerSocket server = new ServerSocket(0);
             Socket socket = new Socket("127.0.0.1", server.getLocalPort())) {
            socket.setSoTimeout(50);
            socket.getInputStream().read();
        }
    }

    public static void main(String[] args) {
        try {
            try {
                read();
            } catch (Exception e) {
                throw new RemoteException("ledger call failed for order 1003", e);
            }
        } catch (RemoteException e) {
            System.err.println("2024-05-01 12:00:00.123 ERROR [main] com.shop.Ledger - ledger call failed");
            e.printStackTrace();
        }
    }
}
