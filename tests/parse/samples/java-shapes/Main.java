package com.shop.orders;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.rmi.RemoteException;

/** Java traces in the shapes log tools' test suites name, printed by the JVM itself. */
public class Main {
    static void marker(String verb, String json) {
        System.out.flush();
        System.err.flush();
        System.err.println("@@logship@@ " + verb + (json.isEmpty() ? "" : " " + json));
        System.err.flush();
    }

    static void begin(String id, boolean error, String types) {
        String group = error ? "\"" + id + "\"" : "null";
        marker("begin", "{\"id\": \"" + id + "\", \"error\": " + error + ", \"group\": " + group
            + ", \"types\": " + types + ", \"logger\": null, \"level_marks_error\": false}");
    }

    static void plain(String id, String text) {
        begin(id, false, "[]");
        System.err.println(text);
    }

    /** A connection to a port nothing listens on: a real ConnectException. */
    static void connectToClosedPort() throws IOException {
        int port;
        try (ServerSocket server = new ServerSocket(0)) {
            port = server.getLocalPort();
        }
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.getInputStream().read();
        }
    }

    /** A resource whose close() fails too: try-with-resources adds it as Suppressed. */
    static class LedgerSession implements AutoCloseable {
        @Override
        public void close() throws IOException {
            try {
                connectToClosedPort();
            } catch (IOException e) {
                throw new IOException("ledger session did not close", e);
            }
        }
    }

    static void postEntry(int order) throws Exception {
        try (LedgerSession session = new LedgerSession()) {
            throw new IllegalStateException("order " + order + " cannot be posted twice");
        }
    }

    static void callInventory() throws RemoteException {
        try {
            connectToClosedPort();
        } catch (IOException e) {
            // java.rmi's message appends "; nested exception is: \n\t" and the cause.
            throw new RemoteException("inventory service unreachable", e);
        }
    }

    /** The shape of javax.mail's MessagingException: a message that ends in a newline. */
    static class AddressException extends Exception {
        AddressException(String address) {
            super("550 5.7.1 <" + address + ">... Relaying denied\n");
        }
    }

    static class SendFailedException extends Exception {
        SendFailedException(Exception next) {
            super("Invalid Addresses;\n  nested exception is:\n\t" + next, next);
        }
    }

    static void send(String address) throws SendFailedException {
        throw new SendFailedException(new AddressException(address));
    }

    static class ReservationException extends Exception {
        ReservationException(Throwable cause) {
            super(cause);
        }
    }

    static class OutOfStock extends Exception {}

    static void reserve() throws ReservationException {
        try {
            throw new OutOfStock();
        } catch (OutOfStock e) {
            throw new ReservationException(e);
        }
    }

    public static void main(String[] args) throws Exception {
        marker("meta", "{\"framework\": \"java runtime\", \"version\": \""
            + System.getProperty("java.version") + "\", \"language\": \"java\"}");
        plain("plain-1", "orders listening on :8080");
        begin("suppressed", true,
            "[\"java.lang.IllegalStateException\", \"java.io.IOException\", \"java.net.ConnectException\"]");
        try {
            postEntry(4711);
        } catch (Exception e) {
            e.printStackTrace();
        }
        plain("plain-2", "single line");
        begin("rmi-nested", true, "[\"java.lang.RuntimeException\", \"java.rmi.RemoteException\", \"java.net.ConnectException\"]");
        try {
            try {
                callInventory();
            } catch (RemoteException e) {
                throw new RuntimeException(e);
            }
        } catch (RuntimeException e) {
            e.printStackTrace();
        }
        plain("plain-3", "another separate log line");
        begin("message-newline", true, "[\"java.lang.RuntimeException\", \"com.shop.orders.Main$SendFailedException\", \"com.shop.orders.Main$AddressException\"]");
        try {
            try {
                send("bob@example.com");
            } catch (SendFailedException e) {
                throw new RuntimeException(e);
            }
        } catch (RuntimeException e) {
            e.printStackTrace();
        }
        plain("plain-4", "orders still listening on :8080");
        begin("no-message", true, "[\"java.lang.IllegalStateException\", \"com.shop.orders.Main$ReservationException\", \"com.shop.orders.Main$OutOfStock\"]");
        Thread worker = new Thread(() -> {
            try {
                reserve();
            } catch (ReservationException e) {
                throw new IllegalStateException("reservation failed", e);
            }
        }, "reservation-worker");
        worker.start();
        worker.join();
        marker("end", "");
    }
}
