import sys; sys.path.insert(0, "..")
from loguru import logger
import loguru, scenario
def charge_flow():
    scenario.run("loguru", logger.info, logger.warning, logger.error, logger.exception, "scenario", loguru.__version__)
charge_flow()
