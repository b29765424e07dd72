"""shipyard: release and deploy tasks for Docker Compose apps on EC2 with ECR."""

__version__ = "0.1.0"
