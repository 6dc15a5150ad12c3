import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "maze"))  # route_helpers
sys.path.insert(0, str(Path(__file__).parent))  # ma_helpers
