"""Invoicing: monthly billing runs, invoices and credit notes, their PDF and reconciliation files, payments and the
credit limit (issue 13; docs/billing.md "Invoicing")."""
