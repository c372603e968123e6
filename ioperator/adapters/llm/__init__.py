"""Language-model adapters: chat with the model a business configured."""
