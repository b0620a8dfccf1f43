package com.shop.payment;

/** The card issuer declined the charge. */
public class CardDeclinedException extends RuntimeException {
    public CardDeclinedException(String message) {
        super(message);
    }
}
