package com.shop.payment;

/** A charge could not be made. */
public class PaymentException extends Exception {
    public PaymentException(String message, Throwable cause) {
        super(message, cause);
    }
}
