import { runApp } from '@matryoshka/experiment';
import { emergentApp } from './app';

void runApp(emergentApp);
