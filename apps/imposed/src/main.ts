import { runApp } from '@matryoshka/experiment';
import { imposedApp } from './app';

void runApp(imposedApp);
