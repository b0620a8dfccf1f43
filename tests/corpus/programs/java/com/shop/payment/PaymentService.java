package com.shop.payment;

import com.shop.common.Runtime;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.net.Socket;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * payment-service: Spring Boot's default console layout. Usage: PaymentService PLAN MANIFEST.
 */
public final class PaymentService {
    private static Runtime rt;
    private static final String CONTROLLER = "com.shop.payment.PaymentController";
    private static final String GATEWAY = "com.shop.payment.GatewayClient";

    private PaymentService() {}

    static String authorize(long orderId) {
        try {
            return "auth-" + Runtime.readFrom(rt.holePort());
        } catch (IOException e) {
            throw new RuntimeException("authorization of order " + orderId + " timed out", e);
        }
    }

    static BigDecimal parseAmount(String raw, long orderId) throws PaymentException {
        try {
            return BigDecimal.valueOf(Long.parseLong(raw));
        } catch (NumberFormatException e) {
            throw new PaymentException("cannot charge order " + orderId, e);
        }
    }

    static void callGateway(long orderId) throws PaymentException {
        try (Socket socket = new Socket("127.0.0.1", Runtime.closedPort())) {
            socket.getOutputStream().write((int) orderId);
        } catch (IOException e) {
            throw new PaymentException("cannot charge order " + orderId, e);
        }
    }

    static void charge(String email, String amount) {
        throw new CardDeclinedException("card declined for " + email + ", amount " + amount + " EUR");
    }

    static long perItem(long total, long items) {
        return total / items;
    }

    static byte[] receipt(String orderId) {
        try (FileInputStream in = new FileInputStream("/nonexistent/receipts/" + orderId + ".pdf")) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("receipt of order " + orderId + " missing", e);
        }
    }

    public static void main(String[] argv) throws Exception {
        rt = new Runtime("spring", "payment-service", argv[1]);
        Map<String, Consumer<Map<String, String>>> steps = new HashMap<>();
        steps.put("info", a -> rt.log("INFO", a.get("logger"), a.get("text"), null, null));
        steps.put("warn", a -> rt.log("WARN", GATEWAY, a.get("text"), null, null));
        steps.put("timeout", a -> {
            try {
                authorize(Long.parseLong(a.get("order")));
            } catch (RuntimeException e) {
                rt.log("ERROR", CONTROLLER, "POST /payments failed", e, "timeout");
            }
        });
        steps.put("nfe", a -> {
            try {
                parseAmount(a.get("raw"), Long.parseLong(a.get("order")));
            } catch (PaymentException e) {
                rt.log("ERROR", CONTROLLER, "charge rejected for " + a.get("email"), e, "nfe");
            }
        });
        steps.put("refused", a -> {
            try {
                callGateway(Long.parseLong(a.get("order")));
            } catch (PaymentException e) {
                rt.log("ERROR", GATEWAY, "gateway call failed for order " + a.get("order"), e, "refused");
            }
        });
        steps.put("declined", a -> {
            try {
                charge(a.get("email"), a.get("amount"));
            } catch (CardDeclinedException e) {
                rt.log("ERROR", CONTROLLER, "charge failed", e, "declined");
            }
        });
        steps.put("arith", a -> {
            try {
                perItem(Long.parseLong(a.get("total")), 0);
            } catch (ArithmeticException e) {
                rt.log("ERROR", CONTROLLER, "split payment for order " + a.get("order"), e, "arith");
            }
        });
        steps.put("receipt", a -> {
            try {
                receipt(a.get("order"));
            } catch (UncheckedIOException e) {
                rt.log("ERROR", CONTROLLER, "GET /receipts/" + a.get("order") + " failed", e, "receipt");
            }
        });
        steps.put("untyped", a -> rt.log("ERROR", GATEWAY,
                "refund " + a.get("refund") + " for customer " + a.get("user") + " stuck in state PENDING since "
                        + a.get("since"), null, "untyped"));
        Runtime.run(argv[0], steps);
        System.exit(0);
    }
}
